"""Widgets never carry attachments of gated content: a gated or private thread with files is not
in any widget, its embed card is a 404, and even a public thread's widget excerpt is plain text
without a file URL (the file's own URL keeps the read check)."""
from __future__ import annotations

import io

import pytest

from community.attachments import service
from community.models import Role, Visibility
from community.search.upkeep import rebuild_index
from community.services import threads
from tests.widgets.helpers import BRAND, make_widget

from .helpers import png

ALLOWED = {"Origin": BRAND}


@pytest.fixture
def files_everywhere(make_user, make_category):
    author = make_user(role=Role.staff)  # staff may start threads in every room
    made = {}
    places = {"public": (Visibility.public, False), "members": (Visibility.members, False),
              "staff": (Visibility.staff, False), "private": (Visibility.public, True)}
    for name, (visibility, private) in places.items():
        image = service.upload(author, f"{name}-router.png", io.BytesIO(png()))
        log = service.upload(author, f"{name}-router.log", io.BytesIO(b"ERROR router\n"))
        category = make_category(name=f"{name} room", visibility=visibility)
        made[name] = (threads.create_thread(
            author, category.id, f"Router question {name}", f"Router: ![{name}](attachment:{image.id}) [log](attachment:{log.id})",
            is_private=private,
        ), image, log)
    rebuild_index()
    return made


def test_no_widget_shows_a_gated_threads_files(client, files_everywhere):
    widget = make_widget("latest")
    body = client.get(f"/embed/w/{widget.id}.json", headers=ALLOWED).get_data(as_text=True)
    for name in ("members", "staff", "private"):
        thread, image, log = files_everywhere[name]
        assert f"Router question {name}" not in body
        assert f"{name}-router" not in body and f"/attachments/{image.id}/" not in body and f"/attachments/{log.id}/" not in body
        assert client.get(f"/embed/thread/{thread.id}").status_code == 404
        assert client.get(service.file_path(log)).status_code == 404
    searched = client.get(f"/embed/w/{make_widget('search').id}/search?q=router", headers=ALLOWED).get_data(as_text=True)
    assert "Router question public" in searched
    assert all(f"Router question {name}" not in searched for name in ("members", "staff", "private"))
    # The public thread is listed, but its excerpt is text: no file URL rides along in the widget.
    assert "Router question public" in body and "/attachments/" not in body and "/attachments/" not in searched
    card = client.get(f"/embed/thread/{files_everywhere['public'][0].id}").get_data(as_text=True)
    assert "/attachments/" not in card
