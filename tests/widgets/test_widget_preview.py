"""Live preview of unsaved widget settings, and the iframe mode's live search (HTTP level; the
browser walks are in test_widget_preview_browser.py)."""
from __future__ import annotations

import pytest

from community.extensions import db
from community.models import Role, Visibility, Widget
from community.search.upkeep import rebuild_index

from .helpers import BRAND, make_widget

DRAFT = {"name": "", "kind": "latest", "item_count": "3", "theme": "dark", "language": "de", "sort": "latest",
         "tag": "", "allowed_origins": ""}


@pytest.fixture
def marketer(auth, make_user):
    user = make_user(role=Role.marketer)
    auth.sign_in(user)
    return user


def test_preview_renders_the_draft_and_saves_nothing(client, marketer, make_category, make_thread):
    public = make_category(name="Help")
    make_thread(category=public, title="Router blinks amber")
    make_thread(category=make_category(visibility=Visibility.members), title="Secret members router")
    response = client.post("/widgets/preview", data=DRAFT)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    data = response.get_json()
    assert (data["kind"], data["theme"], data["lang"], data["preview"]) == ("latest", "dark", "de", True)
    assert [item["title"] for item in data["items"]] == ["Router blinks amber"]
    assert db.session.query(Widget).count() == 0


def test_preview_of_a_saved_widget_shows_the_form_not_the_saved_row(client, marketer, make_category, make_thread):
    widget = make_widget("solved", categories=[make_category()])
    data = client.post("/widgets/preview", data={**DRAFT, "kind": "stats", "widget_id": str(widget.id)}).get_json()
    assert (data["id"], data["kind"]) == (widget.id, "stats")
    assert "answered_pct" in data["stats"]
    db.session.refresh(widget)
    assert widget.kind.value == "solved"


def test_bad_draft_gets_a_json_error(client, marketer):
    response = client.post("/widgets/preview", data={**DRAFT, "item_count": "lots", "kind": "carousel"})
    assert response.status_code == 422
    fields = response.get_json()["error"]["fields"]
    assert set(fields) == {"item_count", "kind"}


@pytest.mark.parametrize("role, status", [(None, 302), (Role.customer, 403), (Role.staff, 403)])
def test_only_widget_managers_may_preview(client, auth, make_user, role, status):
    if role is not None:
        auth.sign_in(make_user(role=role))
    assert client.post("/widgets/preview", data=DRAFT).status_code == status
    assert client.post("/widgets/preview/search", data={**DRAFT, "q": "router"}).status_code == status


@pytest.mark.backends("sqlite")
def test_preview_needs_the_csrf_token(app, client, marketer):
    app.config["WTF_CSRF_ENABLED"] = True
    assert client.post("/widgets/preview", data=DRAFT).status_code == 400


def test_preview_search_finds_public_threads_only(client, marketer, make_category, make_thread):
    make_thread(category=make_category(), title="Printer offline after update")
    make_thread(category=make_category(visibility=Visibility.staff), title="Secret printer plan")
    rebuild_index()
    response = client.post("/widgets/preview/search", data={**DRAFT, "kind": "search", "q": "printer"})
    assert response.status_code == 200
    assert [item["title"] for item in response.get_json()["items"]] == ["Printer offline after update"]
    too_long = client.post("/widgets/preview/search", data={**DRAFT, "kind": "search", "q": "x" * 500})
    assert too_long.status_code == 422


def test_search_frame_runs_our_static_script_only(client, make_category, make_thread):
    search = make_widget("search", origins=BRAND)
    solved = make_widget("solved", origins=BRAND)
    frame = client.get(f"/embed/w/{search.id}/frame")
    csp = frame.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "connect-src 'self'" in csp
    assert f"frame-ancestors 'self' {BRAND}" in csp
    html = frame.get_data(as_text=True)
    assert "js/widget_frame.js" in html and f'data-frame-search="/embed/w/{search.id}/search"' in html
    assert "<script>" not in html  # nothing inline
    other = client.get(f"/embed/w/{solved.id}/frame")
    assert "script-src" not in other.headers["Content-Security-Policy"]
    assert "<script" not in other.get_data(as_text=True)
