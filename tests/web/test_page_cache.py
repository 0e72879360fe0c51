"""The anonymous page cache: hits, invalidation on every kind of change, and never the wrong reader.

Each test reads a page once (a miss that stores it), changes something through the services (or
the ORM, as other code paths do), and reads it again: the second read must show the change.
X-Page-Cache tells hits from misses; signed-in readers never get the header at all.
"""
from __future__ import annotations

import uuid

import pytest

from community import create_app
from community.extensions import db
from community.models import Role, Visibility
from community.services import categories, moderation, posts
from community.services.categories import CategoryInput


def _get(client, path: str):
    response = client.get(path)
    return response, response.get_data(as_text=True)


def _path(thread) -> str:
    return f"/t/{thread.id}-{thread.slug}"


@pytest.fixture
def thread(make_thread, make_category):
    return make_thread(category=make_category(name="Billing"), title="Invoice totals are wrong", body="First words")


def test_second_anonymous_read_is_a_hit_with_the_same_page(client, thread):
    first, first_html = _get(client, _path(thread))
    second, second_html = _get(client, _path(thread))
    assert first.headers["X-Page-Cache"] == "miss" and second.headers["X-Page-Cache"] == "hit"
    assert second_html == first_html and "Invoice totals are wrong" in second_html
    # Per-response headers are added on hits too.
    assert second.headers["X-Frame-Options"] == "DENY" and "Content-Security-Policy" in second.headers


def test_listings_are_cached_and_see_a_new_thread(client, make_thread, thread):
    paths = ["/", "/latest", "/categories", "/unanswered"]
    for path in paths:
        _get(client, path)
        assert _get(client, path)[0].headers["X-Page-Cache"] == "hit", path
    make_thread(category=thread.category, title="Brand new question about refunds")
    for path in paths:
        response, html = _get(client, path)
        assert response.headers["X-Page-Cache"] == "miss", path
        assert path == "/categories" or "Brand new question about refunds" in html


def test_reply_invalidates_the_thread_its_category_and_the_home_page(client, make_user, thread):
    paths = [_path(thread), f"/c/{thread.category.slug}", "/"]
    for path in paths:
        _get(client, path)
    posts.create_reply(make_user(), thread.id, "A reply that fixes the invoice")
    for path in paths:
        response, html = _get(client, path)
        assert response.headers["X-Page-Cache"] == "miss", path
    assert "A reply that fixes the invoice" in _get(client, _path(thread))[1]


def test_a_reply_elsewhere_keeps_other_threads_and_categories_cached(client, make_user, make_thread, make_category, thread):
    other = make_thread(category=make_category(name="Shipping"), title="Parcel lost")
    _get(client, _path(thread))
    _get(client, f"/c/{thread.category.slug}")
    posts.create_reply(make_user(), other.id, "Check the tracking page")
    assert _get(client, _path(thread))[0].headers["X-Page-Cache"] == "hit"
    assert _get(client, f"/c/{thread.category.slug}")[0].headers["X-Page-Cache"] == "hit"
    assert _get(client, "/")[0].headers["X-Page-Cache"] == "miss"


def test_edit_invalidates_the_thread(client, thread):
    _get(client, _path(thread))
    posts.edit_post(thread.author, thread.last_post_id, "Edited words instead")
    response, html = _get(client, _path(thread))
    assert response.headers["X-Page-Cache"] == "miss" and "Edited words instead" in html and "First words" not in html


def test_hidden_post_leaves_the_cached_page(client, make_user, make_post, thread):
    reply = make_post(thread=thread, body="Buy cheap watches here")
    assert "Buy cheap watches here" in _get(client, _path(thread))[1]
    moderation.set_post_hidden(make_user(role=Role.moderator), reply.id, True, "spam")
    assert "Buy cheap watches here" not in _get(client, _path(thread))[1]


def test_thread_made_private_is_not_served_from_cache(client, thread):
    _get(client, _path(thread))
    _get(client, "/")
    thread.is_private = True
    db.session.commit()
    assert _get(client, _path(thread))[0].status_code == 404
    assert "Invoice totals are wrong" not in _get(client, "/")[1]


def test_category_made_staff_only_is_not_served_from_cache(client, make_user, thread):
    category = thread.category
    for path in (_path(thread), f"/c/{category.slug}", "/"):
        _get(client, path)
    data = CategoryInput(name=category.name, slug=category.slug, visibility=Visibility.staff.value, position="1")
    categories.update_category(make_user(role=Role.admin), category.id, data)
    assert _get(client, _path(thread))[0].status_code == 404
    assert _get(client, f"/c/{category.slug}")[0].status_code == 404
    assert "Invoice totals are wrong" not in _get(client, "/")[1]


def test_signed_in_readers_pages_are_never_served_to_anonymous_readers(client, auth, make_user, make_category, make_thread):
    # A signed-in page is kept only under its reader's own key (page_cache/signed_in.py).
    staff_only = make_category(name="Staff room", visibility=Visibility.staff)
    secret = make_thread(category=staff_only, title="Salary bands for next year")
    anonymous_home = _get(client, "/")[1]
    assert "Salary bands" not in anonymous_home
    auth.sign_in(make_user(role=Role.moderator))
    response, html = _get(client, "/")
    assert response.headers.get("X-Page-Cache") != "hit" and "Salary bands" in html and "csrf_token" in html
    auth.sign_out()
    response, html = _get(client, "/")
    assert response.headers["X-Page-Cache"] == "hit" and "Salary bands" not in html and "csrf_token" not in html
    assert _get(client, _path(secret))[0].status_code == 404


def test_a_pending_flash_message_bypasses_the_cache(client, thread):
    _get(client, _path(thread))
    with client.session_transaction() as session:
        session["_flashes"] = [("info", "Your post is waiting for review")]
    response, html = _get(client, _path(thread))
    assert "X-Page-Cache" not in response.headers and "Your post is waiting for review" in html


def test_a_response_that_sets_a_cookie_is_not_stored(app, client, thread):
    from flask import session

    @app.after_request
    def touch_session(response):  # like a page that put a CSRF token in the session
        session["csrf_token"] = "fresh"
        return response

    assert _get(client, _path(thread))[0].headers["X-Page-Cache"] == "miss"
    client.delete_cookie(app.config["SESSION_COOKIE_NAME"])
    assert _get(client, _path(thread))[0].headers["X-Page-Cache"] == "miss"


def test_cache_can_be_turned_off(app, client, thread):
    app.config["PAGE_CACHE_ENABLED"] = False
    _get(client, _path(thread))
    assert "X-Page-Cache" not in _get(client, _path(thread))[0].headers


def test_a_commit_in_another_process_empties_this_processes_cache(app, client, database_url, make_user, thread):
    # A second app on the same instance folder stands in for another gunicorn worker.
    other = create_app({**{k: app.config[k] for k in ("DATABASE_URL", "SECRET_KEY", "SEARCH_INDEX_DIR")},
                        "INSTANCE_PATH": app.instance_path, "TESTING": True, "JOBS_RUN_IMMEDIATELY": True,
                        "SEED_DEMO": False, "SPAM_CHECKS_ENABLED": False, "RATELIMIT_ENABLED": False})
    _get(client, _path(thread))
    author_id = make_user().id
    with other.app_context():
        from community.models import User

        posts.create_reply(db.session.get(User, author_id), thread.id, "Written by the other worker")
        db.session.remove()
    other.extensions["community.engine"].dispose()
    response, html = _get(client, _path(thread))
    assert response.headers["X-Page-Cache"] == "miss" and "Written by the other worker" in html


class TestRedisStore:
    @pytest.fixture
    def app_overrides(self, redis_url):
        return {"REDIS_URL": redis_url, "JOB_QUEUE": "inline", "PAGE_CACHE_NAMESPACE": uuid.uuid4().hex}

    def test_hit_then_reply_invalidates(self, client, make_user, thread):
        _get(client, _path(thread))
        assert _get(client, _path(thread))[0].headers["X-Page-Cache"] == "hit"
        posts.create_reply(make_user(), thread.id, "Reply seen through Redis")
        response, html = _get(client, _path(thread))
        assert response.headers["X-Page-Cache"] == "miss" and "Reply seen through Redis" in html

    def test_private_change_is_seen(self, client, thread):
        _get(client, _path(thread))
        thread.is_private = True
        db.session.commit()
        assert _get(client, _path(thread))[0].status_code == 404


class TestWithCsrfOn:
    """As deployed: CSRF protection on. An anonymous thread page must not put a token in the session."""

    @pytest.fixture
    def app_overrides(self):
        return {"WTF_CSRF_ENABLED": True}

    def test_anonymous_thread_page_sets_no_cookie_and_is_cached(self, client, thread):
        first = client.get(_path(thread))
        assert first.status_code == 200 and "Set-Cookie" not in first.headers
        assert client.get(_path(thread)).headers["X-Page-Cache"] == "hit"

    def test_signed_in_reader_still_gets_a_working_reply_form(self, client, auth, make_user, thread):
        import re

        auth.sign_in(make_user())
        html = client.get(_path(thread)).get_data(as_text=True)
        token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
        response = client.post(f"/t/{thread.id}/reply", data={"csrf_token": token, "body": "Posted with the token from the page"})
        assert response.status_code == 302
        auth.sign_out()
        assert "Posted with the token from the page" in client.get(_path(thread)).get_data(as_text=True)


def test_raw_sql_writes_invalidate_unless_their_table_is_ignored(client, thread):
    from sqlalchemy import text

    _get(client, _path(thread))
    db.session.execute(text("DELETE FROM search_outbox"))  # as the search drain does after each reply
    db.session.commit()
    assert _get(client, _path(thread))[0].headers["X-Page-Cache"] == "hit"
    db.session.execute(text("UPDATE threads SET title = 'Renamed by raw SQL' WHERE id = :id"), {"id": thread.id})
    db.session.commit()
    db.session.expire_all()  # the test shares the app's session; raw SQL does not refresh loaded rows
    response, html = _get(client, _path(thread))
    assert response.headers["X-Page-Cache"] == "miss" and "Renamed by raw SQL" in html


@pytest.mark.backends("sqlite")
def test_store_after_another_process_wrote_refuses_instead_of_hanging(tmp_path):
    import threading

    from community.page_cache.store import CachedPage, LocalStore

    here, there = (LocalStore(tmp_path / "page_cache.epoch", 1 << 20, 60) for _ in range(2))
    _page, token = here.get("key")
    there.bump({"t1"})  # another worker commits while this one renders
    outcome = []
    storing = threading.Thread(target=lambda: outcome.append(here.put("key", CachedPage(b"x", "text/html"), ["t1"], token)))
    storing.start()
    storing.join(timeout=30)  # a deadlock would never finish
    assert outcome == [False]
    assert here.get("key")[0] is None


def test_rows_of_one_thread_cost_one_category_lookup_per_flush(app, make_user, make_thread, query_counter):
    """Batch writes (rollups, follows) must not run a query per row to find which pages go stale."""
    from community.models import Follow

    thread = make_thread(title="Many followers")
    users = [make_user(email=f"follower{n}@example.com") for n in range(12)]
    thread_id, user_ids = thread.id, [user.id for user in users]
    db.session.expunge_all()
    with query_counter() as counted:
        db.session.add_all(Follow(thread_id=thread_id, user_id=user_id) for user_id in user_ids)
        db.session.commit()
    lookups = [s for s in counted.statements if "category_id" in s and "FROM threads" in s]
    assert len(lookups) == 1, lookups


def test_a_cached_page_keeps_its_metadata_through_the_redis_encoding():
    from community.page_cache.store import CachedPage

    fragment = CachedPage(b"<ul>..</ul>", "text/html", {"g": 3}, ("vat", 2), "2026-11-24T03:00:00")
    assert CachedPage.decode(fragment.encode()) == fragment
    plain = CachedPage(b"<html>", "text/html; charset=utf-8")
    assert CachedPage.decode(plain.encode()) == CachedPage(b"<html>", "text/html; charset=utf-8", {}, None, None)
