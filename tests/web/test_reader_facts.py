"""A signed-in page reads its reader's bell count, own hidden threads and branding version with the
user row (web/reader.py): one statement, and nothing a reader would notice as stale.

Each request here loads the user from the session as production does (test requests otherwise
share the fixture's app context, and with it Flask-Login's user and the request's branding).
"""
from __future__ import annotations

import json
import re
from datetime import timedelta

from flask import g
from sqlalchemy import select, text, update

from community.extensions import db
from community.models import Notification, Role, User, Visibility, utcnow
from community.services import branding, notifications


def _page(client, path: str = "/") -> str:
    g.pop("_login_user", None)
    g.pop("branding", None)
    response = client.get(path)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _bell(html: str) -> str | None:
    match = re.search(r'class="unread-count" data-unread-count>([^<]+)<', html)
    return match.group(1) if match else None


def _notify(user, thread, count: int = 1) -> None:
    for n in range(count):
        db.session.add(Notification(user_id=user.id, kind="followed", event_key=f"t:{utcnow()}:{n}", thread_id=thread.id))
    db.session.commit()


def test_the_bell_changes_on_the_next_request_when_a_notification_arrives_or_is_read(
    client, auth, make_user, make_thread
):
    reader = make_user()
    thread = make_thread(title="Printer offline")
    auth.sign_in(reader)
    assert _bell(_page(client)) is None
    _notify(reader, thread)
    assert _bell(_page(client)) == "1"
    _notify(reader, thread)
    assert _bell(_page(client)) == "2"
    first = db.session.scalar(select(Notification.id).where(Notification.user_id == reader.id).limit(1))
    notifications.mark_read(reader, first)
    assert _bell(_page(client)) == "1"
    notifications.mark_all_read(reader)
    assert _bell(_page(client)) is None


def test_the_bell_counts_only_the_readers_own_notifications_and_stops_at_99_plus(
    client, auth, make_user, make_thread
):
    reader, other = make_user(), make_user()
    thread = make_thread(title="Printer offline")
    _notify(other, thread, 3)
    _notify(reader, thread, 120)
    auth.sign_in(reader)
    html = _page(client)
    assert _bell(html) == "99+" and 'aria-label="Notifications: 99+ unread"' in html
    auth.sign_in(other)
    assert _bell(_page(client)) == "3"


def test_own_private_thread_shows_to_its_author_at_once_and_never_to_others(
    client, auth, make_user, make_category, make_thread
):
    category = make_category(name="Support")
    for n in range(12):  # a full home list, so the shared copy has an oldest activity
        make_thread(category=category, title=f"Public question {n}")
    author, other = make_user(), make_user()
    auth.sign_in(other)
    _page(client)  # the shared listing is cached before the private thread exists
    make_thread(category=category, author=author, title="My private invoice question", is_private=True)
    auth.sign_in(author)
    assert "My private invoice question" in _page(client)
    assert "My private invoice question" in _page(client, f"/c/{category.slug}")
    auth.sign_in(other)
    assert "My private invoice question" not in _page(client)
    assert "My private invoice question" not in _page(client, f"/c/{category.slug}")


def _author_of_an_old_private_thread_behind_12_public_ones(make_user, make_category, make_thread):
    category = make_category(name="Support")
    author = make_user()
    long_ago = utcnow() - timedelta(days=30)
    make_thread(category=category, author=author, title="My old private question", is_private=True, created_at=long_ago)
    for n in range(12):
        make_thread(category=category, title=f"Public question {n}")
    return author


def test_an_old_own_private_thread_is_left_out_of_a_full_home_list_as_for_everyone(
    client, auth, make_user, make_category, make_thread
):
    auth.sign_in(_author_of_an_old_private_thread_behind_12_public_ones(make_user, make_category, make_thread))
    html = _page(client)
    assert "My old private question" not in html and "Public question 11" in html


def test_an_own_private_thread_older_than_the_page_is_served_the_shared_list(
    app, client, auth, query_counter, make_user, make_category, make_thread
):
    """The shortcut itself: a hidden thread older than every row shown cannot change the page, so
    the author gets the shared fragment (one statement), not a render of their own."""
    app.config["PAGE_CACHE_ENABLED"] = True
    app.config["PAGE_CACHE_SIGNED_IN"] = False  # the render itself, not the signed-in page cache
    auth.sign_in(_author_of_an_old_private_thread_behind_12_public_ones(make_user, make_category, make_thread))
    _page(client)  # fills the shared listing and this process's branding memo
    g.pop("_login_user", None)  # as in production, where each request loads its user
    g.pop("branding", None)
    with query_counter() as counted:
        html = _page(client)
    assert "Public question 11" in html and "My old private question" not in html
    assert counted.n == 1, counted.statements


def test_a_role_change_or_ban_shows_on_the_next_request(client, auth, make_user):
    reader = make_user()
    auth.sign_in(reader)
    assert ">Queue<" not in _page(client)
    db.session.execute(update(User).where(User.id == reader.id).values(role=Role.moderator))
    db.session.commit()
    assert ">Queue<" in _page(client)
    db.session.execute(update(User).where(User.id == reader.id).values(is_banned=True))
    db.session.commit()
    html = _page(client)
    assert ">Queue<" not in html and "Sign out" not in html and "Sign in" in html


def test_signing_out_everywhere_ends_this_session_on_the_next_request(client, auth, make_user):
    reader = make_user()
    auth.sign_in(reader)
    assert "Sign out" in _page(client)
    db.session.execute(update(User).where(User.id == reader.id).values(session_version=User.session_version + 1))
    db.session.commit()
    assert "Sign out" not in _page(client)


def test_a_branding_change_by_another_process_shows_on_the_next_request(client, auth, make_user):
    branding.save_branding({"name": "First Brand Name"})
    auth.sign_in(make_user())
    assert "First Brand Name" in _page(client)
    assert "First Brand Name" in _page(client)  # now from this process's memo
    # What another process's save looks like to this one: the row changes, the memo does not.
    new_value = {**branding.DEFAULT_BRANDING, "name": "Second Brand Name"}
    db.session.execute(
        text("UPDATE site_settings SET value = :value, updated_at = :now WHERE key = 'branding'"),
        {"value": json.dumps(new_value), "now": utcnow().replace(tzinfo=None)},
    )
    db.session.commit()
    db.session.expire_all()
    html = _page(client)
    assert "Second Brand Name" in html and "First Brand Name" not in html
    db.session.execute(text("DELETE FROM site_settings WHERE key = 'branding'"))
    db.session.commit()
    db.session.expire_all()
    assert branding.DEFAULT_BRANDING["name"] in _page(client)


def test_a_members_category_listing_for_a_reader_without_hidden_threads_is_unchanged(
    client, auth, make_user, make_category, make_thread
):
    category = make_category(name="Members board", visibility=Visibility.members)
    make_thread(category=category, title="Members only question")
    auth.sign_in(make_user())
    assert "Members only question" in _page(client, f"/c/{category.slug}")
