"""The signed-in home page from the page cache (page_cache/signed_in.py).

A reader's page is answered before Flask once Flask has stored it, with one statement (their row
and facts), and nothing a reader or anyone else would notice changes: every change to what the
page shows of them, or to the shared listing, shows on the very next request.

Changes are made with SQL on the test's own session, as another process would make them; each
request loads its user from the session as production does (test requests otherwise share the
fixture's app context, and with it Flask-Login's user).
"""
from __future__ import annotations

import json
import re
import time
import uuid
from datetime import timedelta

import pytest
from flask import g
from sqlalchemy import text, update

from community import create_app
from community.extensions import db
from community.models import Notification, Role, User, utcnow
from community.services import threads
from community.page_cache.signed_in import Entry, LocalPages
from tests.factories import DEFAULT_PASSWORD

PER_REQUEST = ("X-Request-ID", "X-Page-Cache", "Date")


@pytest.fixture
def flask_requests(app):
    """Count requests that reach Flask's request handling."""
    calls = []
    app.before_request_funcs.setdefault(None, []).insert(0, lambda: calls.append(1))
    return calls


def _get(client, path: str = "/", **kwargs):
    g.pop("_login_user", None)
    g.pop("branding", None)
    response = client.get(path, **kwargs)
    assert response.status_code == 200
    return response


def _warm(client, **kwargs):
    """Request the home page until it is a hit; the first may set the session's CSRF token."""
    for _ in range(3):
        response = _get(client, **kwargs)
        if response.headers.get("X-Page-Cache") == "hit":
            return response
    raise AssertionError("the signed-in home page was never served from the cache")


def _html(client, **kwargs) -> str:
    return _get(client, **kwargs).get_data(as_text=True)


def _bell(html: str) -> str | None:
    match = re.search(r'data-unread-count>([^<]+)<', html)
    return match.group(1) if match else None


def _commit(statement, params=None) -> None:
    db.session.execute(statement, params or {})
    db.session.commit()


@pytest.fixture
def reader(client, auth, make_user):
    user = make_user(display_name="Rosa Reader")
    auth.sign_in(user)
    return user


def test_a_hit_skips_flask_with_one_statement_and_the_flask_paths_page(client, reader, flask_requests, query_counter):
    rendered = None
    for _ in range(3):  # the render Flask stored is the one the hit must repeat
        response = _get(client)
        if "X-Page-Cache" not in response.headers and "Set-Cookie" not in response.headers:
            rendered = response
            break
    assert rendered is not None
    before = len(flask_requests)
    with query_counter() as counted:
        hit = _get(client)
    assert hit.headers["X-Page-Cache"] == "hit" and len(flask_requests) == before
    assert counted.n == 1, counted.statements
    assert hit.get_data() == rendered.get_data() and "Rosa Reader" in hit.get_data(as_text=True)
    fixed = {name: value for name, value in rendered.headers.items() if name not in PER_REQUEST}
    assert {name: value for name, value in hit.headers.items() if name not in PER_REQUEST} == fixed
    assert hit.headers["X-Request-ID"] != rendered.headers["X-Request-ID"]
    assert hit.headers["Cache-Control"] == "private, no-store"  # as the Flask path's (compared above)
    head = client.head("/")
    assert head.status_code == 200 and head.get_data() == b"" and len(flask_requests) == before


def _notify(user, thread) -> None:
    db.session.add(Notification(user_id=user.id, kind="followed", event_key="n:1", thread_id=thread.id))
    db.session.commit()


def _change_role(user, _thread) -> None:
    _commit(update(User).where(User.id == user.id).values(role=Role.moderator))


def _rename(user, _thread) -> None:
    _commit(update(User).where(User.id == user.id).values(display_name="Rosa Renamed"))


def _unverify(user, _thread) -> None:
    _commit(update(User).where(User.id == user.id).values(email_verified_at=None))


def _ban(user, _thread) -> None:
    _commit(update(User).where(User.id == user.id).values(is_banned=True))


def _sign_out_everywhere(user, _thread) -> None:
    _commit(update(User).where(User.id == user.id).values(session_version=User.session_version + 1))


def _rebrand(_user, _thread) -> None:
    value = json.dumps({"name": "Renamed Brand"})
    now = utcnow().replace(tzinfo=None)
    if db.session.execute(text("SELECT 1 FROM site_settings WHERE key = 'branding'")).first():
        _commit(text("UPDATE site_settings SET value = :value, updated_at = :now WHERE key = 'branding'"), {"value": value, "now": now})
    else:
        _commit(text("INSERT INTO site_settings (key, value, updated_at) VALUES ('branding', :value, :now)"), {"value": value, "now": now})
    db.session.expire_all()


# change, what the next page must show (True) or not show (False)
CHANGES = {
    "a notification arrives": (_notify, lambda html: _bell(html) == "1"),
    "a role change": (_change_role, lambda html: ">Queue<" in html),
    "a new display name": (_rename, lambda html: "Rosa Renamed" in html and "Rosa Reader" not in html),
    "an email no longer verified": (_unverify, lambda html: "Start a thread" not in html),
    "a ban": (_ban, lambda html: "Sign out" not in html and "Sign in" in html),
    "signing out everywhere": (_sign_out_everywhere, lambda html: "Sign out" not in html and "Rosa Reader" not in html),
    "a branding change by another process": (_rebrand, lambda html: "Renamed Brand" in html),
}


@pytest.mark.parametrize("change", list(CHANGES))
def test_every_change_to_what_the_page_shows_of_its_reader_shows_on_the_next_request(client, reader, make_thread, change):
    make_change, shows = CHANGES[change]
    thread = make_thread(title="Printer offline")  # before the page is kept: no listing change below
    before = _warm(client).get_data(as_text=True)
    assert not shows(before)
    make_change(reader, thread)
    assert shows(_html(client))


def test_reading_a_notification_clears_the_bell_on_the_next_request(client, reader, make_thread):
    thread = make_thread(title="Printer offline")
    db.session.add(Notification(user_id=reader.id, kind="followed", event_key="n:read", thread_id=thread.id))
    db.session.commit()
    assert _bell(_warm(client).get_data(as_text=True)) == "1"
    _commit(update(Notification).where(Notification.user_id == reader.id).values(read_at=utcnow()))
    assert _bell(_html(client)) is None


def test_new_threads_by_others_and_own_private_threads_show_on_the_next_request(client, reader, make_thread):
    _warm(client)
    make_thread(title="A brand new public question")
    assert "A brand new public question" in _html(client)
    _warm(client)
    make_thread(author=reader, title="My private invoice question", is_private=True)
    assert "My private invoice question" in _html(client)


def test_the_end_of_a_suspension_shows_without_any_change_to_the_row(client, reader, monkeypatch):
    now = utcnow()
    _commit(update(User).where(User.id == reader.id).values(suspended_until=now + timedelta(hours=1)))
    assert "Start a thread" not in _warm(client).get_data(as_text=True)
    later = now + timedelta(hours=2)
    for module in ("community.web.reader", "community.policies"):
        monkeypatch.setattr(f"{module}.utcnow", lambda: later)
    assert "Start a thread" in _html(client)


def test_another_reader_or_another_browser_never_gets_this_page(app, client, reader, make_user, flask_requests):
    _warm(client)
    other_client = app.test_client()
    with other_client.session_transaction() as session:
        session["_user_id"] = make_user(display_name="Otto Other").get_id()
        session["_fresh"] = True
    html = _html(other_client)
    assert "Otto Other" in html and "Rosa Reader" not in html
    # The same cookie with another User-Agent or X-Forwarded-For (Flask-Login's session
    # identifier) goes to Flask.
    for headers in ({"User-Agent": "Another browser"}, {"X-Forwarded-For": "203.0.113.9"}):
        seen = len(flask_requests)
        response = _get(client, headers=headers)
        assert len(flask_requests) == seen + 1 and "X-Page-Cache" not in response.headers


def test_a_pending_flash_message_is_shown_and_never_stored(client, reader):
    _warm(client)
    with client.session_transaction() as session:
        session["_flashes"] = [("info", "Your post is waiting for review")]
    response = _get(client)
    assert "Your post is waiting for review" in response.get_data(as_text=True)
    assert "X-Page-Cache" not in response.headers
    assert "Your post is waiting for review" not in _html(client)


def test_turned_off_every_request_renders(app, client, reader, flask_requests):
    app.config["PAGE_CACHE_SIGNED_IN"] = False
    for _ in range(3):
        response = _get(client)
        assert "X-Page-Cache" not in response.headers
    assert len(flask_requests) == 3


def test_a_thread_another_process_starts_shows_on_the_next_request(app, client, reader, make_user, make_category):
    # A second app on the same instance folder stands in for another gunicorn worker.
    other = create_app({**{k: app.config[k] for k in ("DATABASE_URL", "SECRET_KEY", "SEARCH_INDEX_DIR")},
                        "INSTANCE_PATH": app.instance_path, "TESTING": True, "JOBS_RUN_IMMEDIATELY": True,
                        "SEED_DEMO": False, "SPAM_CHECKS_ENABLED": False, "RATELIMIT_ENABLED": False})
    author_id, category_id = make_user().id, make_category(name="Billing").id
    _warm(client)
    with other.app_context():
        threads.create_thread(db.session.get(User, author_id), category_id, "Started in the other worker",
                              "The other worker's words about invoices")
        db.session.remove()
    other.extensions["community.engine"].dispose()
    assert "Started in the other worker" in _html(client)


class TestRedisGenerations:
    @pytest.fixture
    def app_overrides(self, redis_url):
        return {"REDIS_URL": redis_url, "JOB_QUEUE": "inline", "PAGE_CACHE_NAMESPACE": uuid.uuid4().hex}

    def test_hits_and_a_new_thread_outdates_them(self, client, reader, make_thread):
        _warm(client)
        make_thread(title="Seen through Redis generations")
        response = _get(client)
        assert "X-Page-Cache" not in response.headers
        assert "Seen through Redis generations" in response.get_data(as_text=True)


def test_pages_kept_are_bounded_in_bytes_least_recently_read_first():
    pages = LocalPages(max_bytes=250, seconds=60)
    for n in range(2):
        pages.put(bytes([n]), Entry(n, None, "f", (), b"x" * 100, "text/html", time.monotonic() + 60))
    assert pages.get(bytes([0]))  # read: page 1 is now the least recently read
    pages.put(bytes([2]), Entry(2, None, "f", (), b"x" * 100, "text/html", time.monotonic() + 60))
    assert pages.get(bytes([1])) is None and pages.get(bytes([0])) and pages.get(bytes([2]))
    pages.put(bytes([3]), Entry(3, None, "f", (), b"y" * 10, "text/html", time.monotonic() - 1))
    assert pages.get(bytes([3])) is None  # past its lifetime


class TestAsDeployed:
    """CSRF protection on, signed in through the form with "remember me": the second home page
    on is kept (the first carries the remember-me and session cookies)."""

    @pytest.fixture
    def app_overrides(self):
        return {"WTF_CSRF_ENABLED": True}

    def test_a_form_sign_in_with_remember_me_gets_kept_pages(self, client, make_user, flask_requests):
        make_user(email="grace@example.com", display_name="Grace Hopper")
        form = client.get("/sign-in").get_data(as_text=True)
        token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
        response = client.post("/sign-in", data={
            "csrf_token": token, "email": "grace@example.com", "password": DEFAULT_PASSWORD, "remember": "y"})
        assert response.status_code == 302
        pages = [_get(client) for _ in range(4)]
        assert all("Grace Hopper" in page.get_data(as_text=True) for page in pages)
        assert pages[-1].headers["X-Page-Cache"] == "hit" and pages[-2].headers["X-Page-Cache"] == "hit"
        # The kept page's sign-out form carries a token that still signs out.
        token = re.search(r'name="csrf_token" value="([^"]+)"', pages[-1].get_data(as_text=True)).group(1)
        assert client.post("/sign-out", data={"csrf_token": token}).status_code == 302
        client.delete_cookie("remember_token")
        assert "Grace Hopper" not in _html(client)


def test_a_kept_page_never_outlives_its_session_cookie(app, client, reader):
    app.config["PERMANENT_SESSION_LIFETIME"] = timedelta(seconds=30)
    _warm(client)
    (entry,) = app.extensions["community.signed_in_pages"]._entries.values()
    assert entry.expires - time.monotonic() <= 30  # not the page cache's 300 s


def test_anonymous_pages_carry_no_private_cache_control(client, make_thread):
    make_thread(title="Printer offline")
    response = _get(client)
    assert "Cache-Control" not in response.headers
