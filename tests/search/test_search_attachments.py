"""Search results show a paperclip (with words for screen readers) on threads whose visible posts
carry files, on both backends; a hidden post's or a removed file does not count."""
from __future__ import annotations

from community.attachments import moderation as file_moderation
from community.extensions import db
from community.models import Attachment, Role
from community.services import moderation
from tests.attachments.test_serving import post_with_files

CLIP = "Has 2 attachments"


def _result_html(client, query: str, thread) -> str:
    html = client.get(f"/search?q={query}").get_data(as_text=True)
    start = html.index(f"t={thread.id}&")
    return html[start:html.index("</li>", start)]


def test_a_thread_with_files_shows_a_paperclip(client, auth, make_user, make_thread, search_backend):
    author, staff = make_user(), make_user(role=Role.staff)
    with_files = make_thread(title="Printer offline with a screenshot")
    plain = make_thread(title="Printer offline without anything")
    image, log = post_with_files(client, auth, author, with_files)
    auth.sign_out()

    shown = _result_html(client, "printer", with_files)
    assert 'class="badge badge-files"' in shown and f'<span class="visually-hidden">{CLIP}</span>' in shown
    assert 'aria-hidden="true"' in shown  # the icon itself is not read out
    assert "badge-files" not in _result_html(client, "printer", plain)
    quick = {item["id"]: item["attachments"] for item in client.get("/search/quick?q=printer").get_json()["results"]}
    assert quick == {with_files.id: 2, plain.id: 0}

    # Removed by staff: one left. The post hidden: none readers see.
    file_moderation.remove_file(staff, log["id"])
    assert "Has 1 attachment<" in _result_html(client, "printer", with_files)
    moderation.set_post_hidden(staff, db.session.get(Attachment, image["id"]).post_id, True)
    assert "badge-files" not in _result_html(client, "printer", with_files)
