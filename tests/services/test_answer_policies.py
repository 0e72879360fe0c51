"""can_accept_answer and can_verify: one matrix each over roles × thread states (pure, no database)."""
from datetime import timedelta

import pytest

from community import policies
from community.models import Category, Post, Role, Thread, ThreadState, User, Visibility, utcnow

ROLES = ["anonymous", "member", "asker", "other customer", "staff", "moderator", "admin"]
STATES = ["open", "answered", "solved", "closed", "locked", "deleted post"]


def _user(role: str, user_id: int) -> User | None:
    if role == "anonymous":
        return None
    account_role = {"staff": Role.staff, "moderator": Role.moderator, "admin": Role.admin}.get(role, Role.customer)
    return User(id=user_id, role=account_role, email_verified_at=utcnow() - timedelta(days=1),
                is_verified_customer=role == "other customer", is_banned=False, deleted_at=None, suspended_until=None)


def _world(state: str):
    category = Category(id=1, visibility=Visibility.public, deleted_at=None)
    thread_state = ThreadState(state) if state in {"open", "answered", "solved", "closed"} else ThreadState.answered
    thread = Thread(id=1, category=category, author_id=10, state=thread_state, is_private=False,
                    is_locked=state == "locked", deleted_at=None)
    reply = Post(id=2, thread_id=1, thread=thread, author_id=99, position=2, is_hidden=False,
                 deleted_at=utcnow() if state == "deleted post" else None)
    return thread, reply


def _viewer(role: str) -> User | None:
    return _user(role, 10 if role == "asker" else 20)


ACCEPT_ALLOWED = {("asker", state) for state in ("open", "answered", "solved")}
VERIFY_ALLOWED = {(role, state) for role in ("staff", "moderator", "admin") for state in STATES if state != "deleted post"}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("state", STATES)
def test_can_accept_answer_matrix(role, state):
    thread, reply = _world(state)
    assert policies.can_accept_answer(_viewer(role), thread, reply) is ((role, state) in ACCEPT_ALLOWED)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("state", STATES)
def test_can_verify_matrix(role, state):
    thread, reply = _world(state)
    assert policies.can_verify(_viewer(role), thread, reply) is ((role, state) in VERIFY_ALLOWED)


def test_the_opening_post_is_never_an_answer():
    thread, _reply = _world("answered")
    opening = Post(id=1, thread_id=1, thread=thread, author_id=10, position=1, is_hidden=False, deleted_at=None)
    assert not policies.can_accept_answer(_viewer("asker"), thread, opening)
    assert not policies.can_verify(_viewer("staff"), thread, opening)
