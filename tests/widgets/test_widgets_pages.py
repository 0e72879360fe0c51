"""The marketers' widgets page: who may open it, create/edit with field errors, enable, delete."""
from __future__ import annotations

import pytest

from community.extensions import db
from community.models import Role, Visibility, Widget

from .helpers import BRAND, make_widget

VALID = {"name": "Help centre", "kind": "solved", "item_count": "4", "theme": "dark", "language": "de",
         "sort": "most_viewed", "tag": "", "allowed_origins": "https://brand.example\nhttps://shop.example:8443/"}


@pytest.mark.parametrize("role, status", [
    (None, 302), (Role.customer, 403), (Role.staff, 403), (Role.moderator, 403), (Role.marketer, 200), (Role.admin, 200),
])
def test_who_may_open_the_widgets_page(client, auth, make_user, role, status):
    if role is not None:
        auth.sign_in(make_user(role=role))
    assert client.get("/widgets/").status_code == status
    assert client.get("/widgets/new").status_code == status


@pytest.fixture
def marketer(auth, make_user):
    user = make_user(role=Role.marketer)
    auth.sign_in(user)
    return user


def test_create_then_edit_shows_snippet_preview_and_noscript(client, marketer, make_category):
    category = make_category()
    response = client.post("/widgets/new", data={**VALID, "category_ids": [str(category.id)]})
    assert response.status_code == 302
    widget = db.session.query(Widget).one()
    assert (widget.kind.value, widget.item_count, widget.theme.value, widget.language) == ("solved", 4, "dark", "de")
    assert widget.origins == ["https://brand.example", "https://shop.example:8443"]
    assert [c.id for c in widget.categories] == [category.id]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert f"data-parley-widget=&#34;{widget.id}&#34;" in page  # in the snippet
    assert f'data-widget-id="{widget.id}"' in page  # the live preview draws this widget's settings
    assert "/embed.js" in page and "&lt;noscript&gt;&lt;a href=" in page
    assert "data-widget-preview" in page


@pytest.mark.parametrize("field, value, message", [
    ("name", "", "name"),
    ("kind", "carousel", "type"),
    ("item_count", "0", "between 1 and 20"),
    ("item_count", "lots", "between 1 and 20"),
    ("theme", "neon", "theme"),
    ("language", "xx", "language"),
    ("allowed_origins", "", "at least one"),
    ("allowed_origins", "https://brand.example/help", "path"),
    ("allowed_origins", "ftp://brand.example", "not an origin"),
    ("allowed_origins", "https://*", "invalid host"),
    ("allowed_origins", "https://brand.*.example", "invalid host"),
    ("allowed_origins", "brand.example", "not an origin"),
    ("allowed_origins", "https://user@brand.example", "user name"),
])
def test_bad_input_is_422_with_message_and_values_kept(client, marketer, field, value, message):
    response = client.post("/widgets/new", data={**VALID, field: value})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert message in page.lower() or message in page
    assert 'value="Help centre"' in page or field == "name"
    assert db.session.query(Widget).count() == 0


def test_private_category_cannot_feed_a_widget(client, marketer, make_category):
    secret = make_category(visibility=Visibility.staff)
    response = client.post("/widgets/new", data={**VALID, "category_ids": [str(secret.id)]})
    assert response.status_code == 422 and "Only public categories" in response.get_data(as_text=True)


def test_edit_enable_disable_delete(client, marketer):
    widget = make_widget("latest")
    assert client.post(f"/widgets/{widget.id}", data={**VALID, "name": "Renamed"}).status_code == 302
    assert db.session.get(Widget, widget.id).name == "Renamed"
    client.post(f"/widgets/{widget.id}/enabled", data={"enabled": "0"})
    assert client.get(f"/embed/w/{widget.id}.json", headers={"Origin": BRAND}).status_code == 404
    client.post(f"/widgets/{widget.id}/enabled", data={"enabled": "1"})
    assert client.get(f"/embed/w/{widget.id}.json", headers={"Origin": BRAND}).status_code == 200
    assert client.post(f"/widgets/{widget.id}/delete").status_code == 302
    assert db.session.get(Widget, widget.id) is None
    assert client.get(f"/embed/w/{widget.id}.json", headers={"Origin": BRAND}).status_code == 404
    assert client.get(f"/widgets/{widget.id}").status_code == 404


def test_index_shows_analytics_per_widget(client, marketer):
    widget = make_widget("latest")
    for _ in range(3):
        client.post(f"/embed/w/{widget.id}/event", data='{"kind":"impression"}', headers={"Origin": BRAND})
    auth_page = client.get("/widgets/").get_data(as_text=True)
    assert '<td data-count="impression">3</td>' in auth_page
    detail = client.get(f"/widgets/{widget.id}").get_data(as_text=True)
    assert BRAND in detail and "impression" in detail


def test_forms_need_csrf(app, client, marketer):
    app.config["WTF_CSRF_ENABLED"] = True
    widget = make_widget("latest")
    assert client.post("/widgets/new", data=VALID).status_code == 400
    assert client.post(f"/widgets/{widget.id}/delete").status_code == 400
    assert db.session.get(Widget, widget.id) is not None


@pytest.mark.parametrize("role, shown", [("marketer", True), ("admin", True), ("staff", False), ("customer", False)])
def test_header_links_to_widgets_only_for_those_who_may_manage_them(client, auth, make_user, role, shown):
    auth.sign_in(make_user(role=role))
    html = client.get("/").get_data(as_text=True)
    assert ('href="/widgets/"' in html) is shown
