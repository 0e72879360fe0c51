"""What every page shows about its signed-in reader besides the user row, read with the row.

The header's bell count, whether the reader has private or held threads of their own (the shared
listing fragments leave those out) and the branding version are selected in the same statement
as the user by primary key: one query per signed-in page instead of four, with nothing cached
across requests, so a notification, a read, a new private thread, a role or ban change or a
branding change shows on the next request in every process.

The facts live in the request's WSGI environ, only for GET and HEAD: a request that writes (marks
notifications read, posts a private thread) reads them again when it renders. A request whose
user was not loaded by this module (tests reuse Flask-Login's user across requests) falls back to
the queries each fact stands for.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cache
from datetime import datetime
from typing import Any, Optional

from flask import has_request_context, request
from sqlalchemy import Integer, String, bindparam, exists, inspect, select
from sqlalchemy.engine import Connection

from .. import policies
from ..extensions import SAFE_METHODS, db
from ..models import Category, RevokedLogin, User, utcnow
from ..services import branding, forum, notifications
from ..services.accounts import LOGIN_ID_MAX
from ..tags import watching

ENVIRON_KEY = "parley.reader_facts"


def load_user_from_session(session_id: str) -> User | None:
    """Flask-Login loader, for the session and the remember-me cookie. The id carries the session
    version, so a password change ends every sign-in, and the login id (User.get_id), so signing
    out ends this one even where a copy of its cookies survives."""
    user_id, _, rest = session_id.partition(":")
    version, _, login_id = rest.partition(":")
    if not user_id.isdigit() or not version.isdigit() or len(login_id) > LOGIN_ID_MAX:
        return None
    user = load_user(int(user_id), login_id or None)
    if user is None or user.session_version != int(version) or not user.is_active:
        return None
    user.login_id = login_id or None
    return user


@dataclass(frozen=True)
class ReaderFacts:
    user_id: int
    unread_for_bell: int  # capped at notifications.BELL_MAX: the bell shows "99+" beyond
    own_hidden_activity: datetime | None  # latest activity of their private or held threads
    branding_version: Any
    login_revoked: bool  # this sign-in was ended by signing out (accounts.end_login)
    watch_version: Any  # when they last changed a category's or tag's level (a mute changes the home page)


def load_user(user_id: int, login_id: str | None = None) -> User | None:
    """The user of a sign-in (None: no such user, or the sign-in `login_id` was ended); on a GET
    or HEAD request, with the facts in the same statement."""
    if not (has_request_context() and request.method in SAFE_METHODS):
        if login_id and db.session.get(RevokedLogin, login_id) is not None:
            return None
        return db.session.get(User, user_id)
    row = db.session.execute(_user_with_facts(), {"user_id": user_id, "login_id": login_id or ""}).first()
    if row is None:
        return None
    facts = ReaderFacts(user_id, *row[1:])
    if facts.login_revoked:
        return None
    request.environ[ENVIRON_KEY] = facts
    return row[0]


@cache
def _user_with_facts():
    # Built once: building the statement cost more CPU than running it.
    user_id = bindparam("user_id", type_=Integer)
    return select(User, *_fact_columns(user_id)).where(User.id == user_id)


def _fact_columns(user_id) -> tuple:
    login_id = bindparam("login_id", type_=String)
    return (
        notifications.unread_for_bell_column(user_id),
        forum.own_hidden_activity_column(user_id),
        branding.version_column(),
        exists().where(RevokedLogin.login_id == login_id),
        watching.version_column(user_id),
    )


# --- fingerprints: what a signed-in page shows of its reader (page_cache/signed_in.py) -----------


def fingerprint(user: User) -> str | None:
    """A digest of everything the header shows of this request's reader: every column of their row,
    their facts and whether a suspension is running. None without this request's facts."""
    facts = _facts(user)
    if facts is None:
        return None
    values = tuple(getattr(user, name) for name in _column_attributes())
    return _digest(values, (
        facts.unread_for_bell, facts.own_hidden_activity, facts.branding_version, facts.login_revoked, facts.watch_version,
    ))


def fingerprint_from_database(connection: Connection, user_id: int, login_id: str | None) -> str | None:
    """The same digest read with one statement on a bare connection, outside Flask (None: no such user)."""
    row = connection.execute(_row_with_facts(), {"user_id": user_id, "login_id": login_id or ""}).first()
    if row is None:
        return None
    width = len(_column_attributes())
    return _digest(tuple(row[:width]), tuple(row[width:]))


def _digest(user_values: tuple, facts: tuple) -> str:
    suspended_until = user_values[_column_attributes().index("suspended_until")]
    # The only thing shown that time alone changes: "Start a thread" comes back when a suspension ends.
    suspended = suspended_until is not None and suspended_until > utcnow()
    return hashlib.sha256(repr((user_values, facts, suspended)).encode()).hexdigest()


@cache
def _column_attributes() -> tuple[str, ...]:
    mapper = inspect(User)
    return tuple(mapper.get_property_by_column(column).key for column in User.__table__.columns)


@cache
def _row_with_facts():
    user_id = bindparam("user_id", type_=Integer)
    table = User.__table__
    return select(*table.columns, *_fact_columns(user_id)).where(table.c.id == user_id)


def _facts(user: Optional[User]) -> ReaderFacts | None:
    if user is None or not has_request_context():
        return None
    facts = request.environ.get(ENVIRON_KEY)
    return facts if facts is not None and facts.user_id == user.id else None


def unread_for_bell(user: Optional[User]) -> int:
    facts = _facts(user)
    if facts is not None:
        return facts.unread_for_bell
    return notifications.unread_for_bell(user)


def has_own_hidden_thread(user: Optional[User], since: datetime | None, category: Category | None = None) -> bool:
    """forum.has_own_hidden_thread, answered from the facts when they settle it: always for the
    home page, and for a category listing when the reader has no private or held thread at all."""
    facts = _facts(user)
    if facts is None or policies.is_staff(user):
        return forum.has_own_hidden_thread(user, since, category)
    latest = facts.own_hidden_activity
    if latest is None:
        return False
    if category is not None:
        return forum.has_own_hidden_thread(user, since, category)
    return since is None or latest >= since


def sets_no_watch_level(user: Optional[User]) -> bool:
    """True when this request's facts say the reader never chose a watch level for a category or
    tag: their listings need no mutes left out and no unread counts (no query to find out)."""
    facts = _facts(user)
    return user is None or (facts is not None and facts.watch_version is None)


def current_branding() -> dict:
    """The branding, from the per-process memo when this request's facts carry its version."""
    facts = request.environ.get(ENVIRON_KEY) if has_request_context() else None
    if facts is None:
        return branding.get_branding()
    return branding.get_branding(facts.branding_version)
