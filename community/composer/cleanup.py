"""Removing drafts when what they were for happened: the post was made or edited, the account was deleted.

Kept apart from drafts.py (which reads the posting rules of services/posts.py and threads.py) so
those services can call it without an import cycle. Each function adds to the caller's
transaction; the caller commits."""
from __future__ import annotations

from sqlalchemy import delete

from ..extensions import db
from ..models import Draft


def thread_scope(thread_id: int) -> str:
    return f"thread:{thread_id}"


def new_thread_scopes(category_id: int) -> tuple[str, str]:
    """A new thread may have been written at /new or at its category's composer."""
    return "new", f"new:{category_id}"


def forget_reply_draft(user_id: int, thread_id: int) -> None:
    db.session.execute(delete(Draft).where(Draft.user_id == user_id, Draft.scope == thread_scope(thread_id)))


def forget_new_thread_draft(user_id: int, category_id: int) -> None:
    db.session.execute(delete(Draft).where(Draft.user_id == user_id, Draft.scope.in_(new_thread_scopes(category_id))))


def post_scope(post_id: int) -> str:
    return f"post:{post_id}"


def forget_edit_draft(user_id: int, post_id: int) -> None:
    db.session.execute(delete(Draft).where(Draft.user_id == user_id, Draft.scope == post_scope(post_id)))


def forget_user(user_id: int) -> None:
    db.session.execute(delete(Draft).where(Draft.user_id == user_id))
