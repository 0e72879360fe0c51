"""Invite links for the X bridge: one per case, carried by the invite reply, landing on /join/<token>.

The token is never stored: the row keeps its SHA-256 (for lookup) and a random nonce. The token is an
HMAC of (case id, nonce) under the secret key, so a retried invite rebuilds the very same link (the
outbox never sends two different texts for one case) while a copy of the database alone can't.

A GET only records the landing; claiming is one atomic UPDATE ... WHERE claimed_at IS NULL AND
expires_at > now, so two tabs, a replay or a link-preview bot can never claim twice.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Optional

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from ..errors import ServiceError
from ..extensions import db
from ..models import BridgeAccountLink, BridgeCase, BridgeInvite, BridgeJoinRejection, User, utcnow

log = logging.getLogger(__name__)

TOKEN_PATTERN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


class InviteRefused(ServiceError):
    """A /join link that can't be used. `reason` is counted per day; the message is for the visitor."""

    def __init__(self, reason: str, message: str, status_code: int) -> None:
        super().__init__(message)
        self.reason = reason
        self.status_code = status_code


REFUSALS = {
    "invalid": ("This invite link is not valid. It may have been copied incompletely.", 404),
    "expired": ("This invite link has expired. Reply to us on X and we'll send you a fresh one.", 410),
    "used": ("This invite link has already been used.", 410),
    "other_author": ("This invite was sent to a different X account, so it can't be linked to yours.", 403),
    "taken": ("That X account is already linked to another member of this community.", 409),
}


def refuse(reason: str) -> InviteRefused:
    message, status = REFUSALS[reason]
    return InviteRefused(reason, message, status)


# --- issuing ------------------------------------------------------------------------------------


def _token_for(case_id: int, nonce: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    digest = hmac.new(key, f"parley.bridge-invite:{case_id}:{nonce}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:18]).decode("ascii")  # 144 bits, 24 characters


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


def join_url(token: str) -> str:
    return f"{current_app.config['BASE_URL'].rstrip('/')}/join/{token}"


def _lifetime() -> timedelta:
    return timedelta(days=int(current_app.config["BRIDGE_INVITE_DAYS"]))


def _new_invite(case_id: int) -> BridgeInvite:
    nonce, now = secrets.token_hex(16), utcnow()
    invite = BridgeInvite(case_id=case_id, nonce=nonce, token_hash=hash_token(_token_for(case_id, nonce)),
                          created_at=now, expires_at=now + _lifetime())
    db.session.add(invite)
    return invite


def _renew(invite: BridgeInvite) -> None:
    """An expired, unclaimed invite gets a new token and lifetime (the old link stays dead)."""
    invite.nonce, now = secrets.token_hex(16), utcnow()
    invite.token_hash = hash_token(_token_for(invite.case_id, invite.nonce))
    invite.created_at, invite.expires_at, invite.landed_at = now, now + _lifetime(), None


def issue_invite_link(case: BridgeCase) -> str:
    """The absolute /join/<token> URL for this case, creating its invite on first call.

    Idempotent: calling again returns the same URL until the invite expires unclaimed, after which a
    fresh link is issued. Commits (the outbox builds its text from this link right after)."""
    invite = db.session.scalar(select(BridgeInvite).where(BridgeInvite.case_id == case.id))
    if invite is None:
        invite = _new_invite(case.id)
        try:
            db.session.commit()
        except IntegrityError:  # another worker issued it first: use theirs
            db.session.rollback()
            invite = db.session.scalar(select(BridgeInvite).where(BridgeInvite.case_id == case.id))
    elif invite.claimed_at is None and invite.expires_at <= utcnow():
        _renew(invite)
        db.session.commit()
    return join_url(_token_for(invite.case_id, invite.nonce))


def consented_link(case: BridgeCase) -> Optional[BridgeAccountLink]:
    """The verified account link of this case's author that consented to a public follow-up, if any."""
    return db.session.scalar(select(BridgeAccountLink).where(
        BridgeAccountLink.network == case.network, BridgeAccountLink.network_user_id == case.author_id,
        BridgeAccountLink.verified.is_(True), BridgeAccountLink.public_followup_consent.is_(True),
    ))


# --- landing and claiming -----------------------------------------------------------------------


def count_rejection(reason: str, detail: str = "") -> None:
    """Log and count a refused /join link (per UTC day and reason), in its own small transaction."""
    log.warning("bridge join refused: %s %s", reason, detail)
    day = utcnow().strftime("%Y-%m-%d")
    bump = (update(BridgeJoinRejection).where(BridgeJoinRejection.day == day, BridgeJoinRejection.reason == reason)
            .values(count=BridgeJoinRejection.count + 1).execution_options(synchronize_session=False))
    db.session.rollback()
    if db.session.execute(bump).rowcount == 0:
        db.session.add(BridgeJoinRejection(day=day, reason=reason, count=1))
        try:
            db.session.commit()
            return
        except IntegrityError:  # a concurrent refusal created today's row
            db.session.rollback()
            db.session.execute(bump)
    db.session.commit()


def rejection_counts(days: int = 7) -> dict[str, int]:
    """reason → refusals over the last `days` days (for the bridge status page)."""
    since = (utcnow() - timedelta(days=days - 1)).strftime("%Y-%m-%d")
    rows = db.session.execute(select(BridgeJoinRejection.reason, BridgeJoinRejection.count)
                              .where(BridgeJoinRejection.day >= since))
    counts: dict[str, int] = {}
    for reason, count in rows:
        counts[reason] = counts.get(reason, 0) + count
    return counts


def refused(reason: str, detail: str = "") -> InviteRefused:
    count_rejection(reason, detail)
    return refuse(reason)


def find_invite(token: str) -> BridgeInvite:
    """The invite for this token, whatever its state; InviteRefused('invalid') when there is none."""
    if not TOKEN_PATTERN.match(token or ""):
        raise refused("invalid", "malformed token")
    invite = db.session.scalar(select(BridgeInvite).where(BridgeInvite.token_hash == hash_token(token)))
    if invite is None:
        raise refused("invalid", "unknown token")
    return invite


@dataclass(frozen=True)
class Landing:
    invite: BridgeInvite
    case: BridgeCase
    original_text: str | None  # None once the post was deleted on X and purged here
    claimed_by_viewer: bool


def _original_text(case: BridgeCase) -> str | None:
    texts = [post.text for post in case.posts if post.text]
    return texts[0] if texts else None


def land(token: str, viewer: Optional[User]) -> Landing:
    """What /join/<token> shows. Never claims; records the first landing on the invite and the case."""
    invite = find_invite(token)
    mine = viewer is not None and invite.claimed_by_id == viewer.id
    if invite.claimed_at is not None and not mine:
        raise refused("used", f"invite {invite.id}")
    if invite.claimed_at is None and invite.expires_at <= utcnow():
        raise refused("expired", f"invite {invite.id}")
    if invite.landed_at is None:
        _record_landing(invite)
    return Landing(invite, invite.case, _original_text(invite.case), mine)


def _record_landing(invite: BridgeInvite) -> None:
    now = utcnow()
    # WHERE ... IS NULL: the first landing wins even when previews and the person race.
    db.session.execute(update(BridgeInvite).where(BridgeInvite.id == invite.id, BridgeInvite.landed_at.is_(None))
                       .values(landed_at=now).execution_options(synchronize_session=False))
    db.session.execute(update(BridgeCase).where(BridgeCase.id == invite.case_id, BridgeCase.landed_at.is_(None))
                       .values(landed_at=now).execution_options(synchronize_session=False))
    db.session.commit()
    db.session.refresh(invite)
    db.session.refresh(invite.case)


def claim(invite: BridgeInvite, user: User, now: datetime) -> bool:
    """Claim the invite for `user` in the caller's transaction: True only for the one winning UPDATE."""
    result = db.session.execute(
        update(BridgeInvite)
        .where(BridgeInvite.id == invite.id, BridgeInvite.claimed_at.is_(None), BridgeInvite.expires_at > now)
        .values(claimed_at=now, claimed_by_id=user.id)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1
