"""Accepted answers (the asker's pick) and staff-verified answers, including official answers.

At most one of each per thread, enforced by unique constraints on thread_id. Every staff action
here (verify, replace, unverify, and refused attempts) adds an audit row in its own transaction.
Notifications go out after commit.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Optional

from markupsafe import Markup

from sqlalchemy import case, func, literal, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, lazyload

from .. import policies
from ..content import jsonld
from ..content.excerpts import plain_excerpt
from ..errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from ..extensions import db
from ..jobs.queue import enqueue
from ..metrics import csat
from ..models import (
    AcceptedAnswer, Follow, HelpfulVote, Post, SameProblem, Thread, ThreadState, User, VerifiedAnswer, utcnow,
)
from . import audit, notifications, posts
from .forum import thread_for_viewer

SOLUTION_EXCERPT_CHARS = 280
VERIFY_RACE_MESSAGE = "Another staff member changed the verified answer just now. Reload the thread and try again."


# --- which reply, and may this user mark it ---------------------------------------------------------


def _reply_in_thread(user: Optional[User], thread_id: int, post_id: int | None) -> tuple[Thread, Post]:
    """The thread and the reply to mark, or the error that says why not (404/409/422)."""
    thread = thread_for_viewer(user, thread_id)
    post = db.session.get(Post, post_id) if post_id else None
    if post is None or (post.thread_id != thread.id and not policies.can_read_post(user, post)):
        raise NotFound("There is no such reply.")
    if post.thread_id != thread.id:
        raise ValidationFailed("That reply belongs to another thread.", fields={"post_id": "Pick a reply in this thread."})
    if post.position == 1:
        raise ValidationFailed(
            "The opening post is the question, so it can't be the answer.", fields={"post_id": "Pick a reply."}
        )
    # The thread page already shows a placeholder for these, so saying so reveals nothing.
    if post.deleted_at is not None or post.is_hidden:
        raise Conflict("That reply was deleted or hidden, so it can't be marked as the answer.")
    return thread, post


def _require_acceptable(user: Optional[User], thread: Thread, post: Post) -> None:
    if not policies.is_asker(user, thread):
        raise PermissionDenied("Only the person who asked can accept an answer.")
    if thread.is_locked or thread.state == ThreadState.closed:
        raise Conflict("This thread is closed; reopen it to accept an answer.")
    if not policies.can_accept_answer(user, thread, post):
        raise PermissionDenied("You can't accept an answer right now.")


# --- thread state that follows from the marks ----------------------------------------------------


def mark_solved(thread: Thread) -> None:
    now = utcnow()
    if thread.solved_at is None:
        thread.solved_at = now
    if thread.state != ThreadState.closed:
        thread.state = ThreadState.solved


def unsolved_state(thread: Thread) -> ThreadState:
    return ThreadState.answered if thread.first_reply_at is not None else ThreadState.open


def has_marks(thread_id: int) -> bool:
    accepted = db.session.scalar(select(AcceptedAnswer.id).where(AcceptedAnswer.thread_id == thread_id))
    verified = db.session.scalar(select(VerifiedAnswer.id).where(VerifiedAnswer.thread_id == thread_id))
    return accepted is not None or verified is not None


def _unsolve_if_unmarked(thread: Thread) -> None:
    db.session.flush()
    if thread.state == ThreadState.solved and not has_marks(thread.id):
        thread.state = unsolved_state(thread)


# --- accepting ----------------------------------------------------------------------------------


def accept_answer(user: Optional[User], thread_id: int, post_id: int | None) -> AcceptedAnswer:
    thread, post = _reply_in_thread(user, thread_id, post_id)
    _require_acceptable(user, thread, post)
    accepted = db.session.scalar(select(AcceptedAnswer).where(AcceptedAnswer.thread_id == thread.id))
    if accepted is not None and accepted.post_id == post.id:
        return accepted
    if accepted is None:
        accepted = AcceptedAnswer(thread_id=thread.id, post_id=post.id, accepted_by_id=user.id)
        db.session.add(accepted)
    else:
        accepted.post_id, accepted.accepted_by_id, accepted.accepted_at = post.id, user.id, utcnow()
    mark_solved(thread)
    _commit_or_conflict("Your thread changed at the same moment. Reload it and try again.")
    notifications.publish("answer_accepted", thread_id=thread.id, post_id=post.id, actor_id=user.id)
    enqueue(csat.offer, thread.id)  # solved: ask the asker how it went (once per thread)
    return accepted


def unaccept_answer(user: Optional[User], thread_id: int) -> None:
    thread = thread_for_viewer(user, thread_id)
    if not (policies.is_asker(user, thread) or policies.is_staff(user)):
        raise PermissionDenied("Only the person who asked can change the accepted answer.")
    accepted = db.session.scalar(select(AcceptedAnswer).where(AcceptedAnswer.thread_id == thread.id))
    if accepted is None:
        return
    if not policies.is_asker(user, thread):
        audit.record(user, "answer.unaccept", "thread", thread.id, before={"post_id": accepted.post_id})
    db.session.delete(accepted)
    _unsolve_if_unmarked(thread)
    db.session.commit()


# --- verifying ----------------------------------------------------------------------------------


def verify_answer(user: Optional[User], thread_id: int, post_id: int | None, *, replacing: int | None = None) -> VerifiedAnswer:
    """Mark a reply staff-verified. `replacing` is the verified reply the staff member saw (None when
    they saw none): if someone changed it meanwhile, the attempt is refused (409) and audited."""
    if not policies.is_staff(user):
        raise PermissionDenied("Only staff can verify answers.")
    thread, post = _reply_in_thread(user, thread_id, post_id)
    if not policies.can_verify(user, thread, post):
        raise PermissionDenied("You can't verify this reply.")
    already = db.session.scalar(select(VerifiedAnswer).where(VerifiedAnswer.post_id == post.id))
    if already is not None:
        return already
    verified = _set_verified(user, thread, post, replacing)
    try:
        db.session.commit()
    except IntegrityError:
        # A concurrent verification of another reply won the unique thread_id.
        db.session.rollback()
        _refuse_verification(user, thread_id, post_id, replacing)
    notifications.publish("answer_verified", thread_id=thread.id, post_id=post.id, actor_id=user.id)
    enqueue(csat.offer, thread.id)
    return verified


def _set_verified(user: User, thread: Thread, post: Post, replacing: int | None) -> VerifiedAnswer:
    """Add or move the verified mark in the session (no commit); refuses a stale `replacing`."""
    # Lock the thread row (PostgreSQL) so a concurrent replace waits and then sees our mark.
    db.session.execute(select(Thread.id).where(Thread.id == thread.id).with_for_update())
    verified = db.session.scalar(select(VerifiedAnswer).where(VerifiedAnswer.thread_id == thread.id))
    current = verified.post_id if verified is not None else None
    if current == post.id:
        return verified
    if current != replacing:
        db.session.rollback()
        _refuse_verification(user, thread.id, post.id, replacing)
    now = utcnow()
    if verified is None:
        verified = VerifiedAnswer(thread_id=thread.id, post_id=post.id, verified_by_id=user.id, verified_at=now)
        db.session.add(verified)
    else:
        verified.post_id, verified.verified_by_id, verified.verified_at = post.id, user.id, now
    action = "answer.verify" if current is None else "answer.verify_replace"
    audit.record(user, action, "post", post.id, before={"post_id": current}, after={"post_id": post.id, "thread_id": thread.id})
    if thread.first_verified_at is None:
        thread.first_verified_at = now
    mark_solved(thread)
    db.session.flush()
    return verified


def _refuse_verification(user: User, thread_id: int, post_id: int, replacing: int | None) -> None:
    """Audit the refused attempt in its own transaction, then tell the caller (409)."""
    audit.record(
        user, "answer.verify_refused", "post", post_id,
        before={"post_id": replacing}, after={"post_id": post_id, "thread_id": thread_id},
        reason="The verified answer had changed since the page was loaded.",
    )
    db.session.commit()
    raise Conflict(VERIFY_RACE_MESSAGE)


def unverify_answer(user: Optional[User], thread_id: int, reason: str = "") -> None:
    if not policies.is_staff(user):
        raise PermissionDenied("Only staff can remove a verified answer.")
    thread = thread_for_viewer(user, thread_id)
    verified = db.session.scalar(select(VerifiedAnswer).where(VerifiedAnswer.thread_id == thread.id))
    if verified is None:
        return
    audit.record(user, "answer.unverify", "post", verified.post_id, before={"post_id": verified.post_id}, reason=reason)
    db.session.delete(verified)
    _unsolve_if_unmarked(thread)
    db.session.commit()


def post_official_answer(user: Optional[User], thread_id: int, body: str | None) -> Post:
    """A staff reply that is verified in the same transaction (replacing any earlier verified one)."""
    if not policies.is_staff(user):
        raise PermissionDenied("Only staff can post an official answer.")

    def verify_it(reply: Post) -> None:
        current = db.session.scalar(select(VerifiedAnswer.post_id).where(VerifiedAnswer.thread_id == reply.thread_id))
        _set_verified(user, reply.thread, reply, current)

    reply = posts.create_reply(user, thread_id, body, before_commit=verify_it)
    notifications.publish("answer_verified", thread_id=reply.thread_id, post_id=reply.id, actor_id=user.id)
    enqueue(csat.offer, reply.thread_id)
    return reply


def _commit_or_conflict(message: str) -> None:
    try:
        db.session.commit()
    except IntegrityError as error:
        db.session.rollback()
        raise Conflict(message) from error


# --- what a thread page shows ---------------------------------------------------------------------


@dataclass
class ThreadAnswers:
    accepted: AcceptedAnswer | None = None
    verified: VerifiedAnswer | None = None
    verified_post: Post | None = None
    accepted_post: Post | None = None
    same_problem_count: int = 0
    has_same_problem: bool = False
    following: bool = False
    helpful_counts: dict[int, int] = field(default_factory=dict)
    helpful_mine: set[int] = field(default_factory=set)

    def marks_by_post(self) -> dict[int, tuple[str, ...]]:
        """post id → its marks, staff-verified first: "verified", "accepted" (both when both)."""
        marks: dict[int, tuple[str, ...]] = {}
        for name, mark in (("verified", self.verified), ("accepted", self.accepted)):
            if mark is not None:
                marks[mark.post_id] = marks.get(mark.post_id, ()) + (name,)
        return marks

    def solutions(self) -> list[Solution]:
        """What the summary under the question shows: the verified answer first (it weighs more),
        then the accepted one when it is another reply. Only replies this viewer may read."""
        shown: list[Solution] = []
        if self.verified_post is not None:
            both = self.accepted is not None and self.accepted.post_id == self.verified_post.id
            shown.append(Solution(self.verified_post, self.verified, self.accepted if both else None))
        if self.accepted_post is not None and not (shown and shown[0].post.id == self.accepted_post.id):
            shown.append(Solution(self.accepted_post, None, self.accepted))
        return shown


@dataclass
class Solution:
    post: Post
    verified: VerifiedAnswer | None
    accepted: AcceptedAnswer | None

    @property
    def excerpt(self) -> str:
        return plain_excerpt(self.post.body_html, SOLUTION_EXCERPT_CHARS)


def thread_answers(user: Optional[User], thread: Thread, post_ids: list[int]) -> ThreadAnswers:
    """Marks, counts and the viewer's own reactions for one page of a thread: one statement for the
    thread's marks, its "same problem" count and the viewer's own follow and "same problem", one for
    the page's helpful votes (counts and the viewer's own)."""
    reader = policies.reader_id(user)
    columns = [
        AcceptedAnswer, VerifiedAnswer,
        select(func.count()).select_from(SameProblem).where(SameProblem.thread_id == thread.id).scalar_subquery(),
    ]
    if reader is not None:
        columns += [
            select(SameProblem.id).where(SameProblem.thread_id == thread.id, SameProblem.user_id == reader).exists(),
            select(Follow.id).where(Follow.thread_id == thread.id, Follow.user_id == reader).exists(),
        ]
    row = db.session.execute(
        select(*columns).select_from(Thread)
        .outerjoin(AcceptedAnswer, AcceptedAnswer.thread_id == Thread.id)
        .outerjoin(VerifiedAnswer, VerifiedAnswer.thread_id == Thread.id)
        # The verifier's row is joined too: outer, or a thread without a verified answer would lose its row.
        .options(joinedload(VerifiedAnswer.verified_by, innerjoin=False))
        .where(Thread.id == thread.id)
    ).first()
    if row is None:  # deleted since the page loaded it
        return ThreadAnswers()
    info = ThreadAnswers(accepted=row[0], verified=row[1], same_problem_count=row[2] or 0)
    if reader is not None:
        info.has_same_problem, info.following = bool(row[3]), bool(row[4])
    info.verified_post = _shown_answer(user, info.verified)
    info.accepted_post = _shown_answer(user, info.accepted)
    if post_ids:
        mine = func.max(case((HelpfulVote.user_id == reader, 1), else_=0)) if reader is not None else literal(0)
        votes = db.session.execute(
            select(HelpfulVote.post_id, func.count(), mine).where(HelpfulVote.post_id.in_(post_ids)).group_by(HelpfulVote.post_id)
        ).all()
        info.helpful_counts = {post_id: count for post_id, count, _mine in votes}
        info.helpful_mine = {post_id for post_id, _count, own in votes if own}
    return info


def solution_post(user: Optional[User], thread_id: int) -> tuple[Thread, Post | None]:
    """The reply a "Solved" marker leads to: the staff-verified answer, else the accepted one, if
    this viewer may read it. Unreadable threads raise like every thread read (one 404 for all)."""
    thread = thread_for_viewer(user, thread_id)
    marks = db.session.execute(
        select(VerifiedAnswer.post_id, AcceptedAnswer.post_id).select_from(Thread)
        .outerjoin(VerifiedAnswer, VerifiedAnswer.thread_id == Thread.id)
        .outerjoin(AcceptedAnswer, AcceptedAnswer.thread_id == Thread.id)
        .where(Thread.id == thread.id)
    ).one()
    for post_id in marks:
        post = db.session.get(Post, post_id) if post_id is not None else None
        if post is not None and post.deleted_at is None and policies.can_read_post(user, post):
            return thread, post
    return thread, None


def _shown_answer(user: Optional[User], mark: AcceptedAnswer | VerifiedAnswer | None) -> Post | None:
    """The marked reply when this viewer may read it. Usually on the page already (no statement);
    its thread is the page's thread, in the session."""
    if mark is None:
        return None
    post = db.session.get(Post, mark.post_id, options=[lazyload(Post.thread)])
    return post if post is not None and policies.can_read_post(user, post) and post.deleted_at is None else None


# --- structured data for search engines -----------------------------------------------------------


def is_publicly_indexable(thread: Thread) -> bool:
    """What an anonymous visitor can read is what search engines may index."""
    return policies.can_read_thread(None, thread)


def _entry(post: Post, post_link: Callable[[Post], str], upvotes: int = 0) -> jsonld.Entry:
    text = Markup(post.body_html or "").striptags()
    return jsonld.Entry(text, post.author.display_name, post.created_at, post_link(post), upvotes)


def structured_data(thread: Thread, post_link: Callable[[Post], str], marks: ThreadAnswers) -> dict | None:
    """QAPage when the thread has a verified or accepted answer (verified wins), else a
    DiscussionForumPosting; None for anything that is not public. `marks` are the thread's
    answer marks (thread_answers), read once for the page."""
    if not is_publicly_indexable(thread):
        return None
    public = (Post.thread_id == thread.id, Post.deleted_at.is_(None), Post.is_hidden.is_(False))
    # Every post here is in `thread`, already in the session: no join to it (nor its tags' load).
    posts_here = select(Post).options(lazyload(Post.thread))
    best_id = _best_answer_id(marks)
    if best_id is None:
        opening = db.session.scalar(posts_here.where(*public, Post.position == 1))
        if opening is None:
            return None
        return jsonld.discussion(thread.title, _entry(opening, post_link), thread.reply_count)
    # One statement: the opening post first, then the best answer, then the others by helpful votes.
    tally = select(HelpfulVote.post_id, func.count().label("n")).group_by(HelpfulVote.post_id).subquery()
    votes = func.coalesce(tally.c.n, 0)
    first = case((Post.position == 1, 0), (Post.id == best_id, 1), else_=2)
    rows = db.session.execute(
        posts_here.add_columns(votes).outerjoin(tally, tally.c.post_id == Post.id).where(*public)
        .order_by(first, votes.desc(), Post.position).limit(jsonld.SUGGESTED_LIMIT + 2)
    ).all()
    if not rows or rows[0][0].position != 1:
        return None
    opening = rows[0][0]
    best = next((_entry(post, post_link, count) for post, count in rows if post.id == best_id), None)
    others = [_entry(post, post_link, count) for post, count in rows[1:] if post.id != best_id][:jsonld.SUGGESTED_LIMIT]
    return jsonld.qa_page(thread.title, _entry(opening, post_link), thread.reply_count, best, others)


def _best_answer_id(marks: ThreadAnswers) -> int | None:
    best = marks.verified or marks.accepted
    return best.post_id if best is not None else None
