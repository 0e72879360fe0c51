"""Close the loop: once the thread a case is linked to has a staff-verified answer, staff may tell the
public it is solved with one click. The reply answers the customer's original post with a fixed
template: a link to the thread when anyone may read it, otherwise a generic "resolved privately".
It never carries anything from the thread itself (no title, no answer text), and it goes out only
when the customer proved the X account is theirs and agreed to a public follow-up.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Optional

from sqlalchemy import select

from .. import policies
from ..errors import ValidationFailed
from ..extensions import db
from ..models import (
    BridgeAccountLink, BridgeCase, BridgeOptOut, BridgeOutbound, CaseStatus, Thread, User, VerifiedAnswer,
)
from ..models.bridge import OutboundKind, OutboundState
from ..services import audit
from . import outbox as bridge_outbox
from .respond import fit_for_x, target_post
from .triage import compare_and_set, case_conflict, get_case
from ..services.mail import absolute_url

NETWORK = "x"
PUBLIC_TEXT = "@{username} Good news: this is solved. The answer is here for anyone with the same problem: {url}"
PRIVATE_TEXT = "@{username} Good news: we've resolved this with you privately. Thanks for your patience!"


@dataclass(frozen=True)
class _Facts:
    """What the rules need about a batch of cases, read in four queries (the inbox checks 200 at once)."""

    live_threads: set[int]
    verified_threads: set[int]
    consented_authors: set[str]
    opted_out_authors: set[str]


def _facts(cases: list[BridgeCase]) -> _Facts:
    thread_ids = {case.linked_thread_id for case in cases if case.linked_thread_id is not None}
    authors = {case.author_id for case in cases}
    if not thread_ids:
        return _Facts(set(), set(), set(), set())
    live = set(db.session.scalars(select(Thread.id).where(Thread.id.in_(thread_ids), Thread.deleted_at.is_(None))))
    verified = set(db.session.scalars(select(VerifiedAnswer.thread_id).where(VerifiedAnswer.thread_id.in_(thread_ids))))
    # Consent counts only on a link proved with Log in with X (the same rule as bridge_invites.consented_link).
    consented = set(db.session.scalars(select(BridgeAccountLink.network_user_id).where(
        BridgeAccountLink.network == NETWORK, BridgeAccountLink.network_user_id.in_(authors),
        BridgeAccountLink.verified.is_(True), BridgeAccountLink.public_followup_consent.is_(True))))
    opted_out = set(db.session.scalars(select(BridgeOptOut.author_id).where(
        BridgeOptOut.network == NETWORK, BridgeOptOut.author_id.in_(authors))))
    return _Facts(live, verified, consented, opted_out)


def _outbound(case: BridgeCase, kind: OutboundKind) -> Optional[BridgeOutbound]:
    return next((row for row in case.outbound if row.kind == kind), None)


def _original_post_id(case: BridgeCase) -> Optional[str]:
    """The post we answered first (the invite's target), else the case's latest summoned post on X."""
    first = _outbound(case, OutboundKind.invite) or _outbound(case, OutboundKind.reply)
    live = {post.post_id for post in case.posts if post.deleted_at is None and post.text is not None}
    if first is not None and first.in_reply_to_post_id in live:
        return first.in_reply_to_post_id
    target = target_post(case)
    return target.post_id if target else None


def _refusal(case: BridgeCase, facts: _Facts) -> Optional[str]:
    if case.linked_thread_id is None:
        return "This case is not linked to a community thread yet."
    if case.linked_thread_id not in facts.live_threads:
        return "The linked thread was deleted."
    if case.linked_thread_id not in facts.verified_threads:
        return "The linked thread has no staff-verified answer yet."
    earlier = _outbound(case, OutboundKind.solved_followup)
    if earlier is not None and earlier.state != OutboundState.failed:
        return "The public follow-up was already sent."
    if case.status == CaseStatus.opted_out or case.author_id in facts.opted_out_authors:
        return "The author opted out of hearing from us on X."
    if case.author_id not in facts.consented_authors:
        return ("The customer has not agreed to a public follow-up, or has not proved with Log in with X "
                "that the account is theirs.")
    if _original_post_id(case) is None:
        return "The original post is no longer on X."
    return None


def refusal(case: BridgeCase) -> Optional[str]:
    """Why the solved follow-up can't go out now, in words for staff; None when it can."""
    return _refusal(case, _facts([case]))


def ready_case_ids(cases: Iterable[BridgeCase]) -> set[int]:
    """Which of these cases show the "tell the public it's solved" button."""
    linked = [case for case in cases if case.linked_thread_id is not None]
    facts = _facts(linked)
    return {case.id for case in linked if _refusal(case, facts) is None}


def compose(case: BridgeCase, thread: Thread) -> str:
    username = case.author_username or "there"
    if policies.can_read_thread(None, thread):  # anyone may read it: the link helps the next person
        url = absolute_url("forum.thread", thread_id=thread.id, slug=thread.slug)
        return fit_for_x(PUBLIC_TEXT.format(username=username, url=url))
    return fit_for_x(PRIVATE_TEXT.format(username=username))


def send_followup(user: Optional[User], case_id: int, seen_version: int) -> BridgeCase:
    """Staff's one click: queue the solved follow-up. Audited, compare-and-set like every case action."""
    case = get_case(user, case_id)
    if case.version != seen_version:
        raise case_conflict(case.id)
    reason = refusal(case)
    if reason:
        raise ValidationFailed(reason)
    thread = db.session.get(Thread, case.linked_thread_id)
    verified = db.session.scalar(select(VerifiedAnswer).where(VerifiedAnswer.thread_id == thread.id))
    text, target = compose(case, thread), _original_post_id(case)
    before = case.status.value
    case = compare_and_set(case.id, seen_version, status=CaseStatus.solved,
                            verified_at=case.verified_at or verified.verified_at)
    row = bridge_outbox.add(case, OutboundKind.solved_followup, target, text, created_by_id=user.id if user else None)
    audit.record(user, "bridge.case_solved_followup", "bridge_case", case.id, before={"status": before},
                 after={"status": CaseStatus.solved.value, "in_reply_to": target, "public_link": "http" in text})
    bridge_outbox.commit_and_start(row, "This case already has a follow-up queued. Reload the inbox.")
    return case

