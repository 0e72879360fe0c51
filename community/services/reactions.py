"""Follows, "I have this problem too" and helpful votes: one row per user per thing, DB-unique."""
from __future__ import annotations

from typing import Optional

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from .. import policies
from ..errors import PermissionDenied
from ..extensions import db
from ..models import Follow, HelpfulVote, SameProblem, User
from .forum import post_for_viewer, thread_for_viewer


def _insert_once(row) -> None:
    """Add a unique row; a duplicate (double click, two tabs) means it is already there."""
    db.session.add(row)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()


def _toggle(existing, new_row) -> bool:
    """Remove the user's row if there is one, else add it; True when it is there afterwards."""
    if existing is not None:
        db.session.delete(existing)
        db.session.commit()
        return False
    _insert_once(new_row())
    return True


def _require_follower(user: Optional[User], thread_id: int):
    thread = thread_for_viewer(user, thread_id)
    if not policies.can_follow(user, thread):
        raise PermissionDenied("Sign in to follow threads.")
    return thread


def _is_following(user: User, thread_id: int) -> bool:
    found = db.session.scalar(select(Follow.id).where(Follow.thread_id == thread_id, Follow.user_id == user.id))
    return found is not None


def set_following(user: Optional[User], thread_id: int, follow: bool) -> bool:
    thread = _require_follower(user, thread_id)
    if follow and not _is_following(user, thread.id):
        _insert_once(Follow(thread_id=thread.id, user_id=user.id))
    elif not follow:
        db.session.execute(delete(Follow).where(Follow.thread_id == thread.id, Follow.user_id == user.id))
        db.session.commit()
    return follow


def same_problem_count(thread_id: int) -> int:
    return db.session.scalar(select(func.count()).select_from(SameProblem).where(SameProblem.thread_id == thread_id)) or 0


def toggle_same_problem(user: Optional[User], thread_id: int) -> tuple[bool, int]:
    """(whether the user now has the problem, the thread's count). Saying so also follows the thread."""
    thread = _require_follower(user, thread_id)
    if not policies.can_report_same_problem(user, thread):
        raise PermissionDenied("You asked this question, so it is your problem already.")
    mine = db.session.scalar(select(SameProblem).where(SameProblem.thread_id == thread.id, SameProblem.user_id == user.id))
    active = _toggle(mine, lambda: SameProblem(thread_id=thread.id, user_id=user.id))
    if active and not _is_following(user, thread.id):
        _insert_once(Follow(thread_id=thread.id, user_id=user.id))
    return active, same_problem_count(thread.id)


def helpful_count(post_id: int) -> int:
    return db.session.scalar(select(func.count()).select_from(HelpfulVote).where(HelpfulVote.post_id == post_id)) or 0


def toggle_helpful(user: Optional[User], post_id: int) -> tuple[bool, int]:
    """(whether the user now finds the reply helpful, its count)."""
    post = post_for_viewer(user, post_id)
    if not policies.can_vote_helpful(user, post):
        raise PermissionDenied(_helpful_refusal(user, post))
    mine = db.session.scalar(select(HelpfulVote).where(HelpfulVote.post_id == post.id, HelpfulVote.user_id == user.id))
    active = _toggle(mine, lambda: HelpfulVote(post_id=post.id, user_id=user.id))
    return active, helpful_count(post.id)


def _helpful_refusal(user: Optional[User], post) -> str:
    if user is None:
        return "Sign in to vote."
    if post.author_id == user.id:
        return "You can't vote for your own post."
    return "You can't vote for this post."
