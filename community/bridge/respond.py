"""Respond: invite a customer from X into the community, or reply without an invite (a canned response).

The platform's rules decide most of this module:
- we may reply only to a post that summoned us (mentioned or quoted the brand); anything else is
  refused with a reason staff can read;
- at most one automated reply per conversation, ever (an invite or a plain reply, not both), and at
  most one invite per author per 7 days;
- a global budget of invites and replies per 15 minutes and per day (settings);
- opt-outs and "stop" replies win at once (the outbox checks again right before sending).

Staff actions are compare-and-set on the case's version like every triage action, audited, and
queue the post in the outbox (bridge/outbox.py), which sends it exactly once.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Optional

from flask import current_app
from sqlalchemy import and_, exists, func, select

from .post_length import MAX_WEIGHTED_LENGTH, weighted_length
from ..errors import Conflict, ServiceError, ValidationFailed
from ..extensions import db
from ..jobs.registry import job
from ..models import BridgeCannedResponse, BridgeCase, BridgeOptOut, BridgeOutbound, BridgePost, CaseStatus, User, utcnow
from ..models.bridge import OutboundKind, OutboundState
from ..services import audit
from . import outbox as bridge_outbox
from .triage import compare_and_set, case_conflict, get_case

AUTHOR_COOLDOWN = timedelta(days=7)
WINDOW = timedelta(minutes=15)
DAY = timedelta(days=1)
ACTIONABLE = (CaseStatus.new, CaseStatus.triaged)
# Kinds the one-reply-per-conversation rule and the budgets cover (the solved follow-up is a second,
# consented reply and is not budgeted).
FIRST_REPLIES = (OutboundKind.invite, OutboundKind.reply)
INVITE_TEXT = ("@{username} Sorry you ran into this. Our team and community can help you sort it out "
               "here: {link}")
AUTO_INVITE_BATCH = 20


class BudgetSpent(ServiceError):
    """The global invite/reply budget for 15 minutes or the day is used up."""

    status_code = 429


@dataclass(frozen=True)
class Budget:
    used_window: int
    limit_window: int
    used_day: int
    limit_day: int
    states: dict

    @property
    def spent(self) -> bool:
        return self.used_window >= self.limit_window or self.used_day >= self.limit_day


# --- budgets ------------------------------------------------------------------------------------


def _used_since(since: datetime) -> int:
    return int(db.session.scalar(select(func.count(BridgeOutbound.id)).where(
        BridgeOutbound.kind.in_(FIRST_REPLIES), BridgeOutbound.state != OutboundState.failed,
        BridgeOutbound.created_at >= since)) or 0)


def budget(now: datetime | None = None) -> Budget:
    """Invites and replies queued in the last 15 minutes and 24 hours (failed ones do not count)."""
    now = now or utcnow()
    config = current_app.config
    return Budget(_used_since(now - WINDOW), int(config["BRIDGE_OUTBOUND_PER_15MIN"]),
                  _used_since(now - DAY), int(config["BRIDGE_OUTBOUND_PER_DAY"]), bridge_outbox.state_counts())


def _budget_refusal() -> Optional[str]:
    spent = budget()
    if spent.used_window >= spent.limit_window:
        return (f"The budget of {spent.limit_window} invites and replies per 15 minutes is used up. "
                "Try again in a few minutes.")
    if spent.used_day >= spent.limit_day:
        return f"The budget of {spent.limit_day} invites and replies per day is used up. Try again tomorrow."
    return None


# --- eligibility --------------------------------------------------------------------------------


def target_post(case: BridgeCase) -> Optional[BridgePost]:
    """The post an invite or reply answers: the case's latest post that summoned us and is still on X."""
    live = [post for post in case.posts if post.summoned and post.deleted_at is None and post.text is not None]
    return live[-1] if live else None


def _who(case: BridgeCase) -> str:
    return f"@{case.author_username}" if case.author_username else f"author {case.author_id}"


def _opted_out(case: BridgeCase) -> bool:
    return case.status == CaseStatus.opted_out or db.session.scalar(select(BridgeOptOut.id).where(
        BridgeOptOut.network == case.network, BridgeOptOut.author_id == case.author_id)) is not None


def _replied_in_conversation(case: BridgeCase) -> Optional[BridgeOutbound]:
    return db.session.scalars(select(BridgeOutbound).where(
        BridgeOutbound.network == case.network, BridgeOutbound.conversation_id == case.conversation_id,
        BridgeOutbound.kind.in_(FIRST_REPLIES), BridgeOutbound.state != OutboundState.failed).limit(1)).first()


def _recent_invite(case: BridgeCase, now: datetime) -> Optional[BridgeOutbound]:
    return db.session.scalars(select(BridgeOutbound).where(
        BridgeOutbound.network == case.network, BridgeOutbound.author_id == case.author_id,
        BridgeOutbound.kind == OutboundKind.invite, BridgeOutbound.state != OutboundState.failed,
        BridgeOutbound.created_at >= now - AUTHOR_COOLDOWN).limit(1)).first()


def refusal(case: BridgeCase, kind: OutboundKind, now: datetime | None = None) -> Optional[str]:
    """Why this case may not get this first reply now, in words for staff; None when it may."""
    now = now or utcnow()
    if not case.summoned or target_post(case) is None:
        return (f"{_who(case)} did not mention or quote us in a post that is still on X. X allows replies "
                "only to posts that summon the brand: read and route this one, but don't reply.")
    if _opted_out(case):
        return f"{_who(case)} opted out of hearing from us on X."
    if case.status not in ACTIONABLE:
        return "This case is already handled. Reopen it first if it needs a reply."
    earlier = _replied_in_conversation(case)
    if earlier is not None:
        return (f"We already sent {'an invite' if earlier.kind == OutboundKind.invite else 'a reply'} in this "
                "conversation; X allows one automated reply per conversation.")
    if kind == OutboundKind.invite:
        recent = _recent_invite(case, now)
        if recent is not None:
            return (f"{_who(case)} was invited on {recent.created_at:%Y-%m-%d}; at most one invite per author "
                    "every 7 days.")
    return None


def _refuse_if_needed(case: BridgeCase, kind: OutboundKind) -> None:
    reason = refusal(case, kind)
    if reason:
        raise ValidationFailed(reason)
    spent = _budget_refusal()
    if spent:
        raise BudgetSpent(spent)


# --- composing ----------------------------------------------------------------------------------


def fit_for_x(text: str) -> str:
    if weighted_length(text) > MAX_WEIGHTED_LENGTH:
        raise ValidationFailed(f"The reply would be {weighted_length(text)} characters as X counts them; "
                               f"the limit is {MAX_WEIGHTED_LENGTH}. Shorten the canned response.",
                               fields={"canned": "Too long for X."})
    return text


def compose_invite(case: BridgeCase, link: str) -> str:
    return fit_for_x(INVITE_TEXT.format(username=case.author_username or "there", link=link))


def compose_reply(case: BridgeCase, body: str) -> str:
    # Naming the customer makes every reply's text unique, which X requires (duplicates get a 403).
    prefix = f"@{case.author_username} " if case.author_username else ""
    return fit_for_x(prefix + " ".join(body.split()))


def _invite_link(case: BridgeCase) -> str:
    from .invite_links import issue_invite_link  # the landing side (/join/<token>)

    return issue_invite_link(case)


# --- actions ------------------------------------------------------------------------------------


def _queue(actor: Optional[User], case: BridgeCase, seen_version: int, kind: OutboundKind, text: str,
           status: CaseStatus, link: str | None = None) -> BridgeCase:
    """CAS the case, add the outbox row, audit, commit, then start sending."""
    target = target_post(case)
    before = case.status.value
    now = utcnow()
    # invited_at (the funnel) is stamped by the outbox when the invite is actually on X.
    case = compare_and_set(case.id, seen_version, status=status, triaged_at=case.triaged_at or now)
    row = bridge_outbox.add(case, kind, target.post_id, text, link=link,
                            created_by_id=actor.id if actor is not None else None)
    audit.record(actor, f"bridge.case_{kind.value}", "bridge_case", case.id, before={"status": before},
                 after={"status": status.value, "in_reply_to": target.post_id, "automatic": actor is None})
    bridge_outbox.commit_and_start(row, "This case, post or conversation already has that reply queued. "
                                        "Reload the inbox.")
    return case


def _check_version(case: BridgeCase, seen_version: int) -> None:
    if case.version != seen_version:
        raise case_conflict(case.id)


def invite(user: Optional[User], case_id: int, seen_version: int) -> BridgeCase:
    """Staff action "invite": a public reply carrying the case's own invite link."""
    case = get_case(user, case_id)
    _check_version(case, seen_version)
    return _invite(user, case, seen_version)


def _invite(actor: Optional[User], case: BridgeCase, seen_version: int) -> BridgeCase:
    _refuse_if_needed(case, OutboundKind.invite)
    link = _invite_link(case)  # commits the invite row; harmless if what follows is refused
    text = compose_invite(case, link)
    return _queue(actor, case, seen_version, OutboundKind.invite, text, CaseStatus.invited, link=link)


def reply(user: Optional[User], case_id: int, seen_version: int, canned_id: int | None = None) -> BridgeCase:
    """Staff action "reply without invite": the chosen (or the case's) canned response."""
    case = get_case(user, case_id)
    _check_version(case, seen_version)
    canned_id = canned_id if canned_id is not None else case.canned_response_id
    canned = db.session.get(BridgeCannedResponse, canned_id) if canned_id is not None else None
    if canned is None:
        raise ValidationFailed("Pick a canned response to reply with.", fields={"canned": "Pick a template."})
    _refuse_if_needed(case, OutboundKind.reply)
    return _queue(user, case, seen_version, OutboundKind.reply, compose_reply(case, canned.body),
                  CaseStatus.replied)


@job("bridge.auto_invite")
def auto_invite() -> int:
    """After ingest (when BRIDGE_AUTO_INVITE is on): invite new summoned complaints above the
    threshold, within the budgets. Safe to run twice: invited cases are no longer new."""
    config = current_app.config
    if not config.get("BRIDGE_AUTO_INVITE"):
        return 0
    threshold = int(config["BRIDGE_AUTO_INVITE_MIN_COMPLAINT"]) / 100
    has_outbound = exists().where(and_(BridgeOutbound.case_id == BridgeCase.id))
    candidates = list(db.session.scalars(
        select(BridgeCase).where(BridgeCase.status == CaseStatus.new, BridgeCase.summoned.is_(True),
                                 BridgeCase.label == "complaint", BridgeCase.complaint_score >= threshold,
                                 ~has_outbound)
        .order_by(BridgeCase.complaint_score.desc(), BridgeCase.id).limit(AUTO_INVITE_BATCH)))
    invited = 0
    for case in candidates:
        try:
            _invite(None, case, case.version)
            invited += 1
        except BudgetSpent:
            break
        except (ValidationFailed, Conflict):
            db.session.rollback()
    return invited
