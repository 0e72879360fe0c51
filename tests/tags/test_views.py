"""The tag pages, the watch buttons, the composer's tag field and the admin page, through the routes."""
from __future__ import annotations

import html

import pytest
from sqlalchemy import select

from community.extensions import db
from community.models import CategoryWatch, Role, Tag, Thread, Visibility, WatchLevel
from community.services import posts, threads
from community.tags import service, watching


@pytest.fixture
def world(make_user, make_category):
    admin = make_user(role=Role.admin)
    for name in ("dns", "ssl"):
        service.add_official(admin, name)
    category = make_category(name="Networking")
    author = make_user(display_name="Asker")
    tagged = threads.create_thread(author, category.id, "Records not updating", "Body text.", tags="dns")
    plain = threads.create_thread(author, category.id, "Certificate renewals", "Body text.", tags="ssl")
    return admin, category, tagged, plain


def test_anonymous_watch_posts_go_to_sign_in_and_change_nothing(client, world):
    _, category, _, _ = world
    for path in (f"/c/{category.slug}/watch", "/tag/dns/watch"):
        response = client.post(path, data={"level": "watching"})
        assert response.status_code == 302 and "/sign-in" in response.headers["Location"]
    assert db.session.scalar(select(CategoryWatch.id)) is None


def test_watch_posts_need_the_csrf_token(app, client, auth, make_user, world):
    _, category, _, _ = world
    member = make_user()
    auth.sign_in(member)
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        assert client.post(f"/c/{category.slug}/watch", data={"level": "watching"}).status_code == 400
        assert client.post("/tag/dns/watch", data={"level": "muted"}).status_code == 400
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert watching.category_level(member, category) == WatchLevel.normal


def test_a_member_watches_a_category_and_the_page_shows_the_level(client, auth, make_user, world):
    _, category, _, _ = world
    member = make_user()
    auth.sign_in(member)
    response = client.post(f"/c/{category.slug}/watch", data={"level": "watching_first_post"})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/c/{category.slug}")
    page = client.get(f"/c/{category.slug}").get_data(as_text=True)
    assert '<option value="watching_first_post" selected>Watching first post</option>' in page
    assert "Now: <strong>Watching first post</strong>" in page
    settings = client.get("/settings").get_data(as_text=True)
    assert "Networking</a>" in settings and "<strong>Watching first post</strong>" in settings


def test_a_level_that_does_not_exist_is_a_422_and_keeps_the_old_one(client, auth, make_user, world):
    _, category, _, _ = world
    member = make_user()
    auth.sign_in(member)
    client.post(f"/c/{category.slug}/watch", data={"level": "tracking"})
    response = client.post(f"/c/{category.slug}/watch", data={"level": "everything"})
    assert response.status_code == 422 and "Choose one of the offered levels." in response.get_data(as_text=True)
    assert watching.category_level(member, category) == WatchLevel.tracking


def test_closed_categories_and_unknown_tags_answer_404(client, auth, make_user, make_category, world):
    staff_room = make_category(visibility=Visibility.staff)
    auth.sign_in(make_user())
    assert client.post(f"/c/{staff_room.slug}/watch", data={"level": "watching"}).status_code == 404
    assert client.post("/tag/no-such-tag/watch", data={"level": "watching"}).status_code == 404
    assert client.get("/tag/no-such-tag").status_code == 404
    assert client.get("/latest?tag=no-such-tag").status_code == 404


def test_the_tag_page_lists_its_threads_and_odd_spellings_redirect(client, world):
    _, _, tagged, plain = world
    page = client.get("/tag/dns").get_data(as_text=True)
    assert tagged.title in page and plain.title not in page
    assert '<a class="tag-chip" href="/tag/dns">dns</a>' in page
    response = client.get("/tag/DNS")
    assert response.status_code == 301 and response.headers["Location"].endswith("/tag/dns")
    assert "Sign in</a> to watch this tag" in page


def test_listings_show_chips_and_filter_by_tag(client, world):
    _, category, tagged, plain = world
    latest = client.get("/latest").get_data(as_text=True)
    assert '<a class="tag-chip" href="/tag/ssl">ssl</a>' in latest and '<a class="tag-chip" href="/tag/dns">dns</a>' in latest
    for path in ("/latest?tag=dns", f"/c/{category.slug}?tag=dns"):
        page = client.get(path).get_data(as_text=True)
        assert tagged.title in page and plain.title not in page and "Showing threads tagged" in page
    thread_page = client.get(f"/t/{tagged.id}-{tagged.slug}").get_data(as_text=True)
    assert '<a class="tag-chip" href="/tag/dns">dns</a>' in thread_page


def test_muted_categories_leave_the_home_page_and_latest_of_that_member_only(client, auth, make_user, make_category, world):
    _, category, tagged, _ = world
    other = threads.create_thread(make_user(), make_category(name="Billing").id, "Invoice question", "Body text.")
    member = make_user()
    auth.sign_in(member)
    client.post(f"/c/{category.slug}/watch", data={"level": "muted"})
    for path in ("/", "/latest"):
        page = client.get(path).get_data(as_text=True)
        assert tagged.title not in page and other.title in page
    auth.sign_in(make_user())
    assert tagged.title in client.get("/").get_data(as_text=True)


def test_tracking_shows_unread_counts_on_the_category_page(client, auth, make_user, world):
    _, category, tagged, _ = world
    member = make_user()
    auth.sign_in(member)
    client.post(f"/c/{category.slug}/watch", data={"level": "tracking"})
    assert "badge-new" not in client.get(f"/c/{category.slug}").get_data(as_text=True)  # nothing since
    posts.create_reply(make_user(), tagged.id, "A first reply.")
    assert '<span class="badge badge-new">New</span>' in client.get(f"/c/{category.slug}").get_data(as_text=True)
    client.get(f"/t/{tagged.id}-{tagged.slug}")
    posts.create_reply(make_user(), tagged.id, "A reply.")
    assert '<span class="badge badge-new">1 unread</span>' in client.get(f"/c/{category.slug}").get_data(as_text=True)


def test_the_composer_keeps_what_was_typed_when_a_tag_is_refused(client, auth, make_user, world):
    _, category, _, _ = world
    auth.sign_in(make_user())
    response = client.post(f"/c/{category.slug}/new", data={"title": "Pods", "body": "Body text.", "tags": "dns, Kubernetes"})
    page = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 422
    assert "“kubernetes” is not one of this community's tags. Choose from: dns, ssl." in page
    assert 'value="dns, Kubernetes"' in page and 'value="Pods"' in page
    response = client.post(f"/c/{category.slug}/new", data={"title": "Pods", "body": "Body text.", "tags": "SSL, dns"})
    assert response.status_code == 302
    created = db.session.scalar(select(Thread).where(Thread.title == "Pods"))
    assert [tag.name for tag in created.tags] == ["dns", "ssl"]


def test_the_author_edits_the_tags_on_the_opening_post(client, auth, world):
    _, _, tagged, _ = world
    auth.sign_in(tagged.author)
    edit = client.get(f"/p/{tagged.last_post_id}/edit").get_data(as_text=True)
    assert 'name="tags" value="dns"' in edit
    response = client.post(f"/p/{tagged.last_post_id}/edit", data={"title": tagged.title, "body": "Body text.", "tags": "ssl"})
    assert response.status_code == 302
    db.session.expire_all()
    assert [tag.name for tag in db.session.get(Thread, tagged.id).tags] == ["ssl"]


def test_admins_manage_the_list_and_the_free_tags_setting(client, auth, make_user, world):
    admin = world[0]
    auth.sign_in(make_user(role=Role.staff))
    assert client.get("/admin/tags").status_code == 403
    auth.sign_in(admin)
    assert "dns" in client.get("/admin/tags").get_data(as_text=True)
    response = client.post("/admin/tags", data={"name": "Bad/Name"})
    assert response.status_code == 422 and 'value="Bad/Name"' in response.get_data(as_text=True)
    assert client.post("/admin/tags", data={"name": "Load Balancer"}).status_code == 302
    assert db.session.scalar(select(Tag).where(Tag.name == "load-balancer")).is_official
    client.post("/admin/tags/settings", data={"free_tags": "1"})
    assert service.free_tags_allowed()
    ssl = db.session.scalar(select(Tag).where(Tag.name == "ssl"))
    assert client.post(f"/admin/tags/{ssl.id}/delete").status_code == 302
    assert db.session.scalar(select(Tag).where(Tag.name == "ssl")) is None


def test_a_mute_set_elsewhere_reaches_the_cached_signed_in_home_page(app, client, auth, make_user, world):
    """The signed-in home page answered before Flask (page_cache/signed_in.py) is kept per cookie;
    a level set in another tab leaves the cookie as it was, so the reader's fingerprint must move."""
    from tests.web.test_signed_in_cache import _html, _warm

    app.config["PAGE_CACHE_ENABLED"] = True
    _, category, tagged, _ = world
    member = make_user()
    auth.sign_in(member)
    assert tagged.title in _warm(client).get_data(as_text=True)
    watching.set_category_level(member, category.slug, "muted")
    assert tagged.title not in _html(client)
