"""The staff inbox: threads waiting for a first response, threads where the customer answered
staff and waits again, and who on staff owns each thread."""
from __future__ import annotations

from functools import partial
from datetime import datetime
from typing import Optional

from sqlalchemy import Select, select

from .. import policies
from ..errors import NotFound, ValidationFailed
from ..extensions import db
from ..models import STAFF_ROLES, Category, Post, Thread, ThreadState, User
from . import audit

VIEWS = ("all", "mine", "unassigned")
LIMIT = 200


require_inbox = partial(policies.ensure, policies.can_use_staff_inbox, message="The inbox is for staff only.")


def parse_view(raw: str | None) -> str:
    return raw if raw in VIEWS else "all"


def _live_threads(user: User, view: str) -> Select:
    query = (
        select(Thread).join(Thread.category)
        .where(Thread.deleted_at.is_(None), Category.deleted_at.is_(None), Thread.state != ThreadState.closed)
    )
    if view == "mine":
        query = query.where(Thread.assigned_to_id == user.id)
    elif view == "unassigned":
        query = query.where(Thread.assigned_to_id.is_(None))
    return query


def needs_response(user: Optional[User], view: str = "all") -> list[Thread]:
    """Threads nobody but the asker has replied to, oldest first."""
    require_inbox(user)
    query = _live_threads(user, view).where(Thread.first_reply_at.is_(None)).order_by(Thread.created_at, Thread.id)
    return list(db.session.scalars(query.limit(LIMIT)))


def customer_replied(user: Optional[User], view: str = "all") -> list[Thread]:
    """Threads whose latest reply is the asker's, after staff had replied: the customer waits again."""
    require_inbox(user)
    last = Post.__table__.alias("last_post")
    query = (
        _live_threads(user, view)
        .join(last, last.c.id == Thread.last_post_id)
        .where(last.c.author_id == Thread.author_id, last.c.position > 1, Thread.first_staff_reply_at.is_not(None))
        .order_by(Thread.last_activity_at, Thread.id)
    )
    return list(db.session.scalars(query.limit(LIMIT)))


def waiting_since(thread: Thread) -> datetime:
    return thread.last_activity_at if thread.first_reply_at else thread.created_at


def staff_members() -> list[User]:
    query = select(User).where(User.role.in_(STAFF_ROLES), User.deleted_at.is_(None), User.is_banned.is_(False))
    return list(db.session.scalars(query.order_by(User.display_name)))


def assign(user: Optional[User], thread_id: int, assignee_id: int | None) -> Thread:
    """Give a thread to a staff member (None: nobody). Audited."""
    require_inbox(user)
    thread = db.session.get(Thread, thread_id)
    if thread is None or thread.deleted_at is not None:
        raise NotFound("There is no such thread.")
    assignee = db.session.get(User, assignee_id) if assignee_id is not None else None
    if assignee_id is not None and (assignee is None or not policies.is_staff(assignee)):
        raise ValidationFailed("Threads can only be assigned to staff.", fields={"assignee": "Pick a staff member."})
    if thread.assigned_to_id == assignee_id:
        return thread
    audit.record(user, "thread.assign", "thread", thread.id, before={"assigned_to_id": thread.assigned_to_id},
                 after={"assigned_to_id": assignee_id})
    thread.assigned_to_id = assignee_id
    db.session.commit()
    return thread
