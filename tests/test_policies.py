"""can_read_thread as a pure predicate: every role × every thread state, with no database."""
from datetime import datetime, timezone

import pytest

from community import policies
from community.models import Category, Role, Thread, ThreadState, User, Visibility

NOW = datetime(2026, 11, 1, tzinfo=timezone.utc)
ASKER_ID = 10

ROLES = {
    "anonymous": None,
    "asker": dict(id=ASKER_ID, role=Role.customer),
    "other customer": dict(id=11, role=Role.customer),
    "verified customer": dict(id=12, role=Role.customer, is_verified_customer=True),
    "marketer": dict(id=13, role=Role.marketer),
    "staff": dict(id=14, role=Role.staff),
    "moderator": dict(id=15, role=Role.moderator),
    "admin": dict(id=16, role=Role.admin),
    "banned staff": dict(id=17, role=Role.staff, is_banned=True),
}
STATES = {
    "open": {},
    "answered": dict(state=ThreadState.answered),
    "solved": dict(state=ThreadState.solved),
    "closed": dict(state=ThreadState.closed),
    "locked": dict(is_locked=True),
    "private": dict(is_private=True),
    "pending review": dict(is_pending=True),
    "deleted": dict(deleted_at=NOW),
}
STAFF = {"staff", "moderator", "admin"}


def _user(spec):
    if spec is None:
        return None
    fields = dict(email_verified_at=NOW, is_verified_customer=False, is_banned=False, deleted_at=None)
    fields.update(spec)
    return User(**fields)


def _thread(spec):
    fields = dict(
        category=Category(visibility=Visibility.public, deleted_at=None), author_id=ASKER_ID,
        state=ThreadState.open, is_private=False, is_pending=False, is_locked=False, deleted_at=None,
    )
    fields.update(spec)
    return Thread(**fields)


def _expected(role: str, state: str) -> bool:
    if role in STAFF:
        return True
    if state == "deleted":
        return False
    if state in ("private", "pending review"):
        return role == "asker"
    return True


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("role", ROLES)
def test_can_read_thread_matrix(role, state):
    assert policies.can_read_thread(_user(ROLES[role]), _thread(STATES[state])) is _expected(role, state)


def test_ensure_returns_the_user_when_the_predicate_holds():
    admin = _user({"role": Role.admin})
    assert policies.ensure(policies.can_manage_site, admin, message="Admins only.") is admin


def test_ensure_raises_the_given_error_with_the_message_when_it_does_not():
    from community.errors import Conflict, PermissionDenied

    member = _user({"role": Role.customer})
    with pytest.raises(PermissionDenied, match="^Admins only.$"):
        policies.ensure(policies.can_manage_site, member, message="Admins only.")
    with pytest.raises(Conflict, match="closed"):
        policies.ensure(lambda user, thread: False, member, object(), message="closed", error=Conflict)
