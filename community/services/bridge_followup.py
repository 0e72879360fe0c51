"""Close the loop: once the thread a case is linked to has a staff-verified answer, staff may tell the
public it is solved with one click. The reply answers the customer's original post with a fixed
template: a link to the thread when anyone may read it, otherwise a generic "resolved privately".
It never carries anything from the thread itself (no title, no answer text), and it goes out only
when the customer proved the X account is theirs and agreed to a public follow-up.
"""
from __future__ import annotations

from typing import Iterable, Optional

from sqlalchemy import select

from .. import policies
from ..errors import ValidationFailed
from ..extensions import db
from ..models import BridgeCase, BridgeOptOut, BridgeOutbound, CaseStatus, Thread, User, VerifiedAnswer, utcnow
from ..models.bridge import OutboundKind, OutboundState
from . import audit, bridge_outbox
from .bridge_invite import fit_for_x, target_post
from .bridge_triage import _compare_and_set, _conflict, get_case
from .mail import absolute_url

PUBLIC_TEXT = "@{username} Good news: this is solved. The answer is here for anyone with the same problem: {url}"
PRIVATE_TEXT = "@{username} Good news: we've resolved this with you privately. Thanks for your patience!"


def _consented(case: BridgeCase) -> bool:
    from .bridge_invites import consented_link  # the account link and its consent live with the landing

    return consented_link(case) is not None


def _original_post_id(case: BridgeCase) -> Optional[str]:
    """The post we answered first (the invite's target), else the case's latest summoned post on X."""
    invite = bridge_outbox.existing(case.id, OutboundKind.invite)
    live = {post.post_id for post in case.posts if post.deleted_at is None and post.text is not None}
    if invite is not None and invite.in_reply_to_post_id in live:
        return invite.in_reply_to_post_id
    target = target_post(case)
    return target.post_id if target else None


def _verified(thread_id: int) -> Optional[VerifiedAnswer]:
    return db.session.scalar(select(VerifiedAnswer).where(VerifiedAnswer.thread_id == thread_id))


def refusal(case: BridgeCase) -> Optional[str]:
    """Why the solved follow-up can't go out now, in words for staff; None when it can."""
    if case.linked_thread_id is None:
        return "This case is not linked to a community thread yet."
    thread = db.session.get(Thread, case.linked_thread_id)
    if thread is None or thread.deleted_at is not None:
        return "The linked thread was deleted."
    if _verified(thread.id) is None:
        return "The linked thread has no staff-verified answer yet."
    earlier = bridge_outbox.existing(case.id, OutboundKind.solved_followup)
    if earlier is not None and earlier.state != OutboundState.failed:
        return "The public follow-up was already sent."
    if case.status == CaseStatus.opted_out or db.session.scalar(select(BridgeOptOut.id).where(
            BridgeOptOut.network == case.network, BridgeOptOut.author_id == case.author_id)) is not None:
        return "The author opted out of hearing from us on X."
    if not _consented(case):
        return ("The customer has not agreed to a public follow-up, or has not proved with Log in with X "
                "that the account is theirs.")
    if _original_post_id(case) is None:
        return "The original post is no longer on X."
    return None


def ready_case_ids(cases: Iterable[BridgeCase]) -> set[int]:
    """Which of these cases show the "tell the public it's solved" button (only linked ones are checked)."""
    return {case.id for case in cases if case.linked_thread_id is not None and refusal(case) is None}


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
        raise _conflict(case.id)
    reason = refusal(case)
    if reason:
        raise ValidationFailed(reason)
    thread = db.session.get(Thread, case.linked_thread_id)
    verified = _verified(thread.id)
    text, target = compose(case, thread), _original_post_id(case)
    before = case.status.value
    case = _compare_and_set(case.id, seen_version, status=CaseStatus.solved,
                            verified_at=case.verified_at or verified.verified_at)
    earlier = bridge_outbox.existing(case.id, OutboundKind.solved_followup)
    if earlier is not None:  # a failed earlier try: the unique keys allow one row, so re-arm it
        row = _rearm(earlier, text, target)
    else:
        row = bridge_outbox.add(case, OutboundKind.solved_followup, target, text,
                                created_by_id=user.id if user else None)
    audit.record(user, "bridge.case_solved_followup", "bridge_case", case.id, before={"status": before},
                 after={"status": CaseStatus.solved.value, "in_reply_to": target, "public_link": "http" in text})
    bridge_outbox.commit_and_start(row, "This case already has a follow-up queued. Reload the inbox.")
    return case


def _rearm(row: BridgeOutbound, text: str, target: str) -> BridgeOutbound:
    row.text, row.in_reply_to_post_id, row.state = text, target, OutboundState.queued
    row.attempts, row.next_attempt_at, row.last_error, row.created_at = 0, None, "", utcnow()
    return row
