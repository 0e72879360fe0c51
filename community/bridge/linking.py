"""Respond, second half: a signed-in customer claims an invite, links their X account (optionally
proving it with Log in with X), and starts a thread from their complaint; the case then links to it.

Funnel facts are stored exactly: joined_at is the moment of the claim, thread_posted_at the new
thread's created_at. Every step writes an audit row in the same transaction as the step itself.
"""
from __future__ import annotations

import logging
import re
import secrets
from dataclasses import dataclass
from typing import Optional

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from .client import SocialError
from ..errors import NotFound, PermissionDenied, ValidationFailed
from ..extensions import db
from ..models import BridgeAccountLink, BridgeCase, BridgeInvite, CaseStatus, Thread, User, utcnow
from ..services import audit, threads
from ..webhooks import delivery as webhooks
from .invite_links import InviteRefused, claim, refused, find_invite

log = logging.getLogger(__name__)

X_LOGIN_SCOPES = ("tweet.read", "users.read")
TITLE_LENGTH = 90


# --- claiming -----------------------------------------------------------------------------------


def _require_user(user: Optional[User]) -> User:
    if user is None:
        raise PermissionDenied("Sign in to continue.")
    return user


def _link_of(case: BridgeCase) -> Optional[BridgeAccountLink]:
    return db.session.scalar(select(BridgeAccountLink).where(
        BridgeAccountLink.network == case.network, BridgeAccountLink.network_user_id == case.author_id))


def _upsert_link(user: User, case: BridgeCase, consent: bool) -> BridgeAccountLink:
    link = _link_of(case)
    if link is not None and link.user_id != user.id:
        raise refused("taken", f"case {case.id} author {case.author_id} is linked to user {link.user_id}")
    if link is None:
        link = BridgeAccountLink(user_id=user.id, network=case.network, network_user_id=case.author_id,
                                 username=case.author_username)
        db.session.add(link)
    link.public_followup_consent = consent
    return link


def accept_invite(user: Optional[User], token: str, *, consent: bool) -> BridgeInvite:
    """Claim the invite for `user` (single use, unexpired, one atomic UPDATE) and link the case's X
    account to them, unverified until Log in with X proves it. Claiming one's own invite again only
    updates the consent."""
    user = _require_user(user)
    invite = find_invite(token)
    case = invite.case
    now = utcnow()
    if invite.claimed_by_id == user.id:
        link = _upsert_link(user, case, consent)
        audit.record(user, "bridge.link_consent", "bridge_case", case.id, after={"public_followup_consent": consent})
        db.session.commit()
        return invite
    if invite.claimed_at is not None:
        raise refused("used", f"invite {invite.id}")
    if invite.expires_at <= now:
        raise refused("expired", f"invite {invite.id}")
    # Claim first: on PostgreSQL the UPDATE locks the invite row, so a racing claim waits, then
    # matches nothing. Only the winner goes on to write the link.
    if not claim(invite, user, now):
        raise refused("used", f"invite {invite.id} (lost the race)")
    link = _upsert_link(user, case, consent)
    try:
        db.session.flush()
    except IntegrityError:  # the same X account was linked by a concurrent claim of another invite
        raise refused("taken", f"case {case.id} author {case.author_id} (race)") from None
    db.session.execute(update(BridgeCase).where(BridgeCase.id == case.id, BridgeCase.joined_at.is_(None))
                       .values(joined_at=now, version=BridgeCase.version + 1)
                       .execution_options(synchronize_session=False))
    db.session.flush()
    audit.record(user, "bridge.invite_claimed", "bridge_case", case.id,
                 after={"invite_id": invite.id, "link_id": link.id, "network_user_id": case.author_id,
                        "public_followup_consent": consent})
    db.session.commit()
    db.session.refresh(invite)
    db.session.refresh(case)
    webhooks.emit("bridge.linked", webhooks.bridge_case_data(case), key=f"bridge.linked:{case.id}")
    return invite


def claimed_invite(user: Optional[User], token: str) -> BridgeInvite:
    """The invite behind `token`, which `user` must have claimed (the later steps need it)."""
    user = _require_user(user)
    invite = find_invite(token)
    if invite.claimed_by_id != user.id:
        raise PermissionDenied("Open your invite link and continue from there first.")
    return invite


def link_for(user: User, case: BridgeCase) -> Optional[BridgeAccountLink]:
    link = _link_of(case)
    return link if link is not None and link.user_id == user.id else None


# --- Log in with X ------------------------------------------------------------------------------


@dataclass(frozen=True)
class XLoginStart:
    url: str
    state: str
    verifier: str


def x_login_available() -> bool:
    return bool(current_app.config.get("X_CLIENT_ID"))


def _authorize_endpoint() -> str:
    config = current_app.config
    if config.get("X_AUTHORIZE_URL"):
        return config["X_AUTHORIZE_URL"]
    base = config["X_API_BASE_URL"].rstrip("/")
    return "https://x.com/i/oauth2/authorize" if base == "https://api.x.com" else f"{base}/i/oauth2/authorize"


def x_redirect_uri() -> str:
    return f"{current_app.config['BASE_URL'].rstrip('/')}/join/x/callback"


def start_x_login(user: Optional[User], token: str) -> XLoginStart:
    """Where to send the browser to prove the X account (PKCE); the caller keeps state + verifier."""
    from .x_api import authorize_url, new_pkce

    claimed_invite(user, token)
    if not x_login_available():
        raise NotFound("Log in with X is not set up on this community.")
    pkce, state = new_pkce(), secrets.token_urlsafe(24)
    url = authorize_url(client_id=current_app.config["X_CLIENT_ID"], redirect_uri=x_redirect_uri(), state=state,
                        pkce=pkce, scopes=X_LOGIN_SCOPES, authorize_endpoint=_authorize_endpoint())
    return XLoginStart(url, state, pkce.verifier)


def _proven_x_user_id(code: str, verifier: str) -> str:
    """Exchange the code and ask /2/users/me who signed in. The customer's tokens are used once and
    never stored: we only need the proof, not the right to act as them."""
    from .x_api import XApiClient, XOAuth

    config = current_app.config
    oauth = XOAuth(client_id=config["X_CLIENT_ID"], client_secret=config.get("X_CLIENT_SECRET"),
                   base_url=config["X_API_BASE_URL"])
    try:
        tokens = oauth.exchange_code(code=code, code_verifier=verifier, redirect_uri=x_redirect_uri())
        with XApiClient(base_url=config["X_API_BASE_URL"], user_tokens=tokens) as client:
            return client.get_me().value.id
    except SocialError as error:
        log.warning("bridge: Log in with X failed: %s", error.message)
        raise ValidationFailed("X did not confirm your account. Please try Log in with X again.") from None
    finally:
        oauth.close()


def finish_x_login(user: Optional[User], token: str, code: str, verifier: str) -> BridgeAccountLink:
    """Verify the link when the X account that signed in is the case's author; refuse otherwise."""
    invite = claimed_invite(user, token)
    case = invite.case
    link = link_for(user, case)
    if link is None:
        raise PermissionDenied("Link your X account from your invite first.")
    proven = _proven_x_user_id(code, verifier)
    if proven != case.author_id:
        audit.record(user, "bridge.link_mismatch", "bridge_case", case.id,
                     after={"expected": case.author_id, "signed_in_as": proven})
        db.session.commit()
        raise refused("other_author", f"case {case.id} author {case.author_id}, X login {proven}")
    if not link.verified:
        link.verified, link.verified_at = True, utcnow()
        audit.record(user, "bridge.link_verified", "bridge_case", case.id,
                     after={"link_id": link.id, "network_user_id": proven})
        db.session.commit()
    return link


# --- the thread ---------------------------------------------------------------------------------


def _complaint_text(case: BridgeCase) -> str:
    texts = [post.text for post in case.posts if post.text]
    return "\n\n".join(texts)


def _without_handles_and_links(text: str) -> str:
    text = re.sub(r"https?://\S+", "", text)
    text = re.sub(r"(^|\s)@\w{1,15}", " ", text)
    return " ".join(text.split())


def suggested_title(text: str) -> str:
    """The first sentence of the complaint, without @handles or links, capitalised and short."""
    plain = _without_handles_and_links(text)
    sentence = re.split(r"(?<=[.!?])\s", plain, maxsplit=1)[0] if plain else ""
    if len(sentence) > TITLE_LENGTH:
        sentence = sentence[:TITLE_LENGTH].rsplit(" ", 1)[0] + "…"
    return sentence[:1].upper() + sentence[1:] if sentence else "My question from X"


def composer_prefill(user: Optional[User], token: str) -> dict[str, str]:
    invite = claimed_invite(user, token)
    text = _complaint_text(invite.case)
    body = "\n\n".join(_without_handles_and_links(part) for part in text.split("\n\n") if part)
    return {"title": suggested_title(text), "body": body}


def post_thread(user: Optional[User], token: str, category_id: int | None, title: str | None, body: str | None,
                *, is_private: bool) -> Thread:
    """Start the customer's thread (the forum's rules apply) and link the case to it, once."""
    invite = claimed_invite(user, token)
    case = invite.case
    if case.linked_thread_id is not None:
        raise ValidationFailed("This conversation already has its thread in the community.")
    thread = threads.create_thread(user, category_id, title, body, is_private=is_private)
    db.session.execute(
        update(BridgeCase).where(BridgeCase.id == case.id, BridgeCase.linked_thread_id.is_(None))
        .values(linked_thread_id=thread.id, thread_posted_at=thread.created_at, status=CaseStatus.linked,
                version=BridgeCase.version + 1)
        .execution_options(synchronize_session=False))
    audit.record(user, "bridge.thread_linked", "bridge_case", case.id,
                 after={"thread_id": thread.id, "private": is_private})
    db.session.commit()
    db.session.refresh(case)
    return thread


__all__ = ["InviteRefused", "accept_invite", "claimed_invite", "composer_prefill", "finish_x_login",
           "post_thread", "start_x_login", "suggested_title", "x_login_available"]
