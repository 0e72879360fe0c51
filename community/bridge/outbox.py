"""Track: the exactly-once outbox of the X bridge. Every post the brand sends (invite, reply, solved
follow-up) is a BridgeOutbound row: queued → sending → sent / failed / unknown.

Exactly once, even when a worker dies mid-request:
- a worker claims a row with a compare-and-set (UPDATE ... WHERE state = 'queued') and commits the
  claim BEFORE posting, so two workers never post one row;
- a row left in "sending" (the worker died) or "unknown" (the post went out but no answer came back,
  or X refused it as a duplicate) is never simply re-sent: it is reconciled first, by reading the
  brand's recent posts and matching the reply target and the invite link (or the exact text);
- only a 429, a 5xx or a connection that was refused before anything was sent is retried. Every
  outbound text is unique (each invite carries its own link, replies name the customer), so even a
  retried 5xx that did go through comes back as a duplicate-content 403 and is then reconciled;
- x-rate-limit-reset and the 24-hour caps pause the whole queue until they reset.

Jobs take ids, load fresh rows and are safe to run twice.
"""
from __future__ import annotations

import hashlib
import logging
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any, Iterator, Mapping

from flask import current_app
from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError

from .client import (
    ConnectionDropped, DuplicateContent, RateLimited, RateLimitInfo, ServerError, SocialClient, SocialError,
    SocialPost, Timeout, UnknownOutcome,
)
from .post_length import URL_PATTERN
from ..errors import Conflict
from ..extensions import db
from ..jobs.queue import enqueue
from ..jobs.registry import job
from ..models import BridgeCase, BridgeOptOut, BridgeOutbound, SiteSetting, utcnow
from ..models.bridge import OutboundKind, OutboundState

log = logging.getLogger(__name__)

REDACTED_LINK = "[invite link]"
DUPLICATE_PREFIX = "duplicate: "
RECONCILE_PAGES = 3  # the brand's newest posts read when looking for a lost one (up to 300 posts)
BATCH = 50  # rows one process_due run sends at most
RETRY_BASE = timedelta(seconds=30)
RATE_LIMIT_FALLBACK = timedelta(minutes=15)  # a 429 without a reset header
ACTIVE_STATES = (OutboundState.queued, OutboundState.sending, OutboundState.sent, OutboundState.unknown)


class NotConfigured(Exception):
    """The brand account has no user token: nothing can be posted."""


def link_hash(url: str) -> str:
    return hashlib.sha256(url.encode("utf-8")).hexdigest()


# --- the client -----------------------------------------------------------------------------------


TOKENS_KEY = "bridge_brand_tokens"


def _stored_tokens() -> dict:
    row = db.session.get(SiteSetting, TOKENS_KEY)
    return dict(row.value) if row is not None and isinstance(row.value, dict) else {}


def _save_tokens(tokens) -> None:
    """X refresh tokens are single-use: keep the rotated pair, or the next process could not refresh."""
    value = {"access_token": tokens.access_token, "refresh_token": tokens.refresh_token,
             "expires_at": tokens.expires_at.isoformat() if tokens.expires_at else None}
    row = db.session.get(SiteSetting, TOKENS_KEY)
    if row is None:
        db.session.add(SiteSetting(key=TOKENS_KEY, value=value))
    else:
        row.value = value
    db.session.commit()


def posting_client(config: Mapping[str, Any]) -> SocialClient:
    """An X client that posts as the brand (user context) and reads with the app token. Tokens
    rotated by a refresh (stored in a site setting) win over the configured ones."""
    from .x_api import UserTokens, XApiClient, XOAuth

    stored = _stored_tokens()
    token = stored.get("access_token") or config.get("X_USER_ACCESS_TOKEN")
    if not token:
        raise NotConfigured("The brand's X account is not connected: set COMMUNITY_X_USER_ACCESS_TOKEN.")
    refresh = stored.get("refresh_token") if stored.get("access_token") else config.get("X_USER_REFRESH_TOKEN")
    expires_at = datetime.fromisoformat(stored["expires_at"]) if stored.get("expires_at") else None
    oauth = None
    if refresh and config.get("X_CLIENT_ID"):
        oauth = XOAuth(client_id=config["X_CLIENT_ID"], client_secret=config.get("X_CLIENT_SECRET"),
                       base_url=config["X_API_BASE_URL"])
    return XApiClient(base_url=config["X_API_BASE_URL"], bearer_token=config.get("X_BEARER_TOKEN"),
                      user_tokens=UserTokens(token, refresh, expires_at), oauth=oauth,
                      on_tokens_refreshed=_save_tokens)


@contextmanager
def _social(client: SocialClient | None) -> Iterator[SocialClient]:
    """The given client (left open), or a new posting client closed afterwards."""
    if client is not None:
        yield client
        return
    owned = posting_client(current_app.config)
    try:
        yield owned
    finally:
        close = getattr(owned, "close", None)
        if close:
            close()


# --- queueing (called by bridge_invite / bridge_followup inside their transaction) -------------------


def add(case: BridgeCase, kind: OutboundKind, target_post_id: str, text: str, *, link: str | None = None,
        created_by_id: int | None = None) -> BridgeOutbound:
    """Queue a post in the caller's transaction; the caller commits (an IntegrityError means a
    duplicate) and then calls `start(row.id)`. The unique keys allow one row per case and kind, so
    a failed earlier try is re-armed instead of added again."""
    row = db.session.scalar(select(BridgeOutbound).where(
        BridgeOutbound.case_id == case.id, BridgeOutbound.kind == kind, BridgeOutbound.state == OutboundState.failed))
    if row is None:
        row = BridgeOutbound(network=case.network, case=case, kind=kind, conversation_id=case.conversation_id,
                             author_id=case.author_id)
        db.session.add(row)
    row.in_reply_to_post_id, row.text, row.link_hash = target_post_id, text, link_hash(link) if link else None
    row.state, row.attempts, row.next_attempt_at, row.claimed_at = OutboundState.queued, 0, None, None
    row.remote_post_id, row.last_error, row.created_by_id, row.created_at = None, "", created_by_id, utcnow()
    return row


def start(outbound_id: int) -> None:
    """After the commit: send it now (inline queue) or in the worker (RQ)."""
    held = db.session.identity_map.get(db.session.identity_key(BridgeOutbound, outbound_id))
    enqueue(send, outbound_id)
    # An inline job used its own session: what this one holds may be stale now.
    if held is not None:
        _forget(BridgeCase, held.case_id)
        _forget(BridgeOutbound, outbound_id)


def commit_and_start(row: BridgeOutbound, duplicate_message: str) -> None:
    """Commit the caller's transaction with the new row, then start sending. The unique keys turn a
    second reply for one case, post or conversation into a Conflict instead of a second post."""
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise Conflict(duplicate_message) from None
    start(row.id)


# --- sending ----------------------------------------------------------------------------------------


def _opted_out(author_id: str, network: str) -> bool:
    return db.session.scalar(select(BridgeOptOut.id).where(BridgeOptOut.network == network,
                                                           BridgeOptOut.author_id == author_id)) is not None


def _transition(outbound_id: int, from_states: tuple[OutboundState, ...], **values) -> bool:
    """Compare-and-set on the row's state; commits. False when another worker moved it first."""
    result = db.session.execute(
        update(BridgeOutbound)
        .where(BridgeOutbound.id == outbound_id, BridgeOutbound.state.in_(from_states))
        .values(updated_at=utcnow(), **values)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    _forget(BridgeOutbound, outbound_id)
    return result.rowcount == 1


def _forget(model, row_id: int) -> None:
    """Expire a row this session holds after an UPDATE that bypassed the ORM, so nobody reads it stale."""
    held = db.session.identity_map.get(db.session.identity_key(model, row_id))
    if held is not None:
        db.session.expire(held)


def _fresh(outbound_id: int) -> BridgeOutbound | None:
    row = db.session.get(BridgeOutbound, outbound_id)
    if row is not None:
        db.session.refresh(row)
    return row


@job("bridge.outbox.send")
def send(outbound_id: int, client: SocialClient | None = None) -> OutboundState | None:
    """The job: claim a queued row, post it, record the outcome. Returns the row's state afterwards."""
    row = _fresh(outbound_id)
    if row is None or row.state != OutboundState.queued:
        return row.state if row else None
    now = utcnow()
    if row.next_attempt_at is not None and row.next_attempt_at > now:
        return row.state  # waiting out a rate limit or a backoff; process_due sends it later
    if _opted_out(row.author_id, row.network):
        _fail(row, "The author opted out before the post was sent.")
        return OutboundState.failed
    try:
        with _social(client) as social:
            if not _transition(row.id, (OutboundState.queued,), state=OutboundState.sending,
                               attempts=BridgeOutbound.attempts + 1, claimed_at=now):
                return _fresh(outbound_id).state
            _post(_fresh(outbound_id), social)
    except NotConfigured as error:
        _transition(outbound_id, (OutboundState.queued,), last_error=str(error))
    return _fresh(outbound_id).state


def _post(row: BridgeOutbound, social: SocialClient) -> None:
    try:
        result = social.create_post(row.text, in_reply_to=row.in_reply_to_post_id)
    except RateLimited as error:
        _rate_limited(row, error)
    except DuplicateContent as error:
        # Either our own earlier attempt went through, or the text repeats another post of ours.
        _to_unknown(row, DUPLICATE_PREFIX + error.message)
        reconcile(row.id, social, force=True)
    except UnknownOutcome as error:
        _to_unknown(row, f"no answer after sending: {error.message}")
        reconcile(row.id, social, force=True)
    except (ServerError, ConnectionDropped, Timeout) as error:
        if isinstance(error, ConnectionDropped) and error.request_sent:
            _to_unknown(row, f"connection dropped after sending: {error.message}")
            reconcile(row.id, social, force=True)
        else:
            _retry_later(row, error.message)
    except SocialError as error:
        _fail(row, f"X refused the post: {error.message}")
    else:
        mark_sent(row.id, result.value.id)
        _pause_if_spent(result.rate_limit)


def _to_unknown(row: BridgeOutbound, message: str) -> None:
    log.warning("bridge outbox %s: outcome unknown (%s); reconciling", row.id, message)
    _transition(row.id, (OutboundState.sending,), state=OutboundState.unknown, last_error=message[:2000])


def _retry_later(row: BridgeOutbound, message: str) -> None:
    if row.attempts >= int(current_app.config.get("BRIDGE_OUTBOX_MAX_ATTEMPTS", 5)):
        _fail(row, f"gave up after {row.attempts} attempts: {message}")
        return
    delay = RETRY_BASE * (2 ** max(0, row.attempts - 1))
    _transition(row.id, (OutboundState.sending, OutboundState.unknown), state=OutboundState.queued,
                next_attempt_at=utcnow() + delay, last_error=f"will retry: {message}"[:2000])


def _rate_limited(row: BridgeOutbound, error: RateLimited) -> None:
    """Wait for the limit X named (window or 24-hour cap); the attempt does not count."""
    until = error.reset_at or utcnow() + RATE_LIMIT_FALLBACK
    scope = "the 24-hour cap" if error.is_daily_cap else "the 15-minute window"
    _transition(row.id, (OutboundState.sending,), state=OutboundState.queued, next_attempt_at=until,
                attempts=BridgeOutbound.attempts - 1, last_error=f"rate limited by {scope} until {until:%Y-%m-%d %H:%M} UTC")
    _pause_queue(until)


def _pause_if_spent(rate: RateLimitInfo) -> None:
    """A success that spent the last request of a limit: hold the rest of the queue until it resets."""
    resets = [window.reset_at for _scope, window in rate.exhausted() if window.reset_at]
    if resets:
        _pause_queue(max(resets))


def _pause_queue(until: datetime) -> None:
    db.session.execute(
        update(BridgeOutbound)
        .where(BridgeOutbound.state == OutboundState.queued,
               or_(BridgeOutbound.next_attempt_at.is_(None), BridgeOutbound.next_attempt_at < until))
        .values(next_attempt_at=until)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


def _redacted(row: BridgeOutbound) -> str:
    """The text without the invite link (its token must not stay in the database in clear)."""
    if not row.link_hash:
        return row.text
    return URL_PATTERN.sub(lambda match: REDACTED_LINK if link_hash(match.group(0)) == row.link_hash
                           else match.group(0), row.text)


def _fail(row: BridgeOutbound, message: str) -> None:
    log.warning("bridge outbox %s failed: %s", row.id, message)
    _transition(row.id, (OutboundState.queued, OutboundState.sending, OutboundState.unknown),
                state=OutboundState.failed, last_error=message[:2000], text=_redacted(row))


def mark_sent(outbound_id: int, remote_post_id: str) -> bool:
    """Record the post's id on X, redact the link, and stamp the case's first response."""
    row = _fresh(outbound_id)
    now = utcnow()
    if not _transition(outbound_id, (OutboundState.sending, OutboundState.unknown), state=OutboundState.sent,
                       remote_post_id=remote_post_id, sent_at=now, last_error="", text=_redacted(row)):
        return False
    _stamp_case(row, now)
    if row.kind == OutboundKind.invite:
        _emit_invited(row.id)
    return True


def _stamp_case(row: BridgeOutbound, now: datetime) -> None:
    case = db.session.get(BridgeCase, row.case_id)
    db.session.refresh(case)
    if case.first_response_at is None:
        # Two clocks: from the customer's post (what they felt) and from ingestion (how fast we acted).
        db.session.execute(
            update(BridgeCase).where(BridgeCase.id == case.id, BridgeCase.first_response_at.is_(None))
            .values(first_response_at=now,
                    first_response_seconds=max(0, int((now - case.detected_at).total_seconds())),
                    first_response_ingest_seconds=max(0, int((now - case.ingested_at).total_seconds())))
            .execution_options(synchronize_session=False)
        )
    # The funnel stages count what reached X, not what staff queued (a failed invite invited nobody).
    stage = {OutboundKind.invite: BridgeCase.invited_at, OutboundKind.solved_followup: BridgeCase.followed_up_at}
    column = stage.get(row.kind)
    if column is not None:
        db.session.execute(update(BridgeCase).where(BridgeCase.id == case.id, column.is_(None))
                           .values({column.key: now}).execution_options(synchronize_session=False))
    db.session.commit()
    _forget(BridgeCase, case.id)


def _emit_invited(outbound_id: int) -> None:
    try:
        from ..webhooks import delivery as webhooks
    except ImportError:  # the webhooks module ships separately; without it there is nobody to tell
        return
    row = _fresh(outbound_id)
    webhooks.emit("bridge.invited", {"case_id": row.case_id, "remote_post_id": row.remote_post_id,
                                     "in_reply_to_post_id": row.in_reply_to_post_id},
                  key=f"bridge.invited:{row.id}")


# --- reconciling ------------------------------------------------------------------------------------


def _stale_before() -> datetime:
    return utcnow() - timedelta(seconds=int(current_app.config.get("BRIDGE_SENDING_STALE_SECONDS", 120)))


def _urls_in(post: SocialPost) -> set[str]:
    urls = set(URL_PATTERN.findall(post.text))
    entities = (post.raw or {}).get("entities") if isinstance(post.raw, Mapping) else None
    for item in (entities or {}).get("urls") or []:
        if isinstance(item, Mapping):
            urls.update(str(item[key]) for key in ("expanded_url", "url", "unwound_url") if item.get(key))
    return urls


def is_ours(row: BridgeOutbound, post: SocialPost) -> bool:
    """Is this post of the brand the one this row sent? Same reply target, and the same link (X
    rewrites links to t.co but keeps the expanded URL in entities) or, without a link, the same text."""
    if post.replied_to_id != row.in_reply_to_post_id:
        return False
    if row.link_hash:
        return any(link_hash(url) == row.link_hash for url in _urls_in(post))
    return post.text.strip() == row.text.strip()


class BrandPosts:
    """The brand's newest posts on X, read page by page only as far as a search needs (at most
    RECONCILE_PAGES), and kept for the run: reconciling 50 rows costs a few reads, not 50."""

    def __init__(self, social: SocialClient) -> None:
        self.brand_id = str(current_app.config.get("X_BRAND_USER_ID") or "")
        if not self.brand_id:
            raise NotConfigured("Set COMMUNITY_X_BRAND_USER_ID so the outbox can read the brand's posts.")
        self.social = social
        self.pages: list[tuple[SocialPost, ...]] = []
        self.next_token: str | None = None

    def _more(self) -> bool:
        if len(self.pages) >= RECONCILE_PAGES or (self.pages and not self.next_token):
            return False
        page = self.social.get_user_posts(self.brand_id, pagination_token=self.next_token)
        self.pages.append(page.posts)
        self.next_token = page.next_token
        return True

    def find(self, row: BridgeOutbound) -> SocialPost | None:
        index = 0
        while index < len(self.pages) or self._more():
            found = next((post for post in self.pages[index] if is_ours(row, post)), None)
            if found:
                return found
            index += 1
        return None


def reconcile(outbound_id: int, client: SocialClient | None = None, force: bool = False,
              brand_posts: BrandPosts | None = None) -> OutboundState | None:
    """Settle a row in "unknown", or in "sending" for longer than BRIDGE_SENDING_STALE_SECONDS (its
    worker died), from what X shows: found → sent; not found → queued again (or failed after a
    duplicate-content refusal, which a retry would only repeat)."""
    row = _fresh(outbound_id)
    if row is None or row.state not in (OutboundState.sending, OutboundState.unknown):
        return row.state if row else None
    if row.state == OutboundState.sending and not force and (row.claimed_at or utcnow()) > _stale_before():
        return row.state  # probably still in flight
    try:
        if brand_posts is not None:
            found = brand_posts.find(row)
        else:
            with _social(client) as social:
                found = BrandPosts(social).find(row)
    except (SocialError, NotConfigured) as error:
        message = getattr(error, "message", str(error))
        _transition(row.id, (row.state,), last_error=f"could not reconcile yet: {message}"[:2000])
        return _fresh(outbound_id).state
    if found is not None:
        log.info("bridge outbox %s: found on X as %s", row.id, found.id)
        mark_sent(row.id, found.id)
    elif row.last_error.startswith(DUPLICATE_PREFIX):
        _fail(row, "X refused the text as a duplicate of another post of ours.")
    elif row.attempts >= int(current_app.config.get("BRIDGE_OUTBOX_MAX_ATTEMPTS", 5)):
        _fail(row, f"gave up after {row.attempts} attempts; the last one never reached X")
    else:
        # Nothing went out: send again, without a backoff.
        _transition(row.id, (row.state,), state=OutboundState.queued, next_attempt_at=None,
                    last_error="not found on X after an interrupted send; sending again")
    return _fresh(outbound_id).state


# --- the periodic run ---------------------------------------------------------------------------------


def _stale_ids() -> list[int]:
    return list(db.session.scalars(select(BridgeOutbound.id).where(or_(
        BridgeOutbound.state == OutboundState.unknown,
        (BridgeOutbound.state == OutboundState.sending) & (BridgeOutbound.claimed_at < _stale_before()),
    )).order_by(BridgeOutbound.id).limit(BATCH)))


def _due_ids() -> list[int]:
    return list(db.session.scalars(select(BridgeOutbound.id).where(
        BridgeOutbound.state == OutboundState.queued,
        or_(BridgeOutbound.next_attempt_at.is_(None), BridgeOutbound.next_attempt_at <= utcnow()),
    ).order_by(BridgeOutbound.id).limit(BATCH)))


@job("bridge.outbox.process_due")
def process_due(client: SocialClient | None = None) -> int:
    """Reconcile stale and unknown rows, then send the due queued rows (including those the
    reconciling found never reached X). Scheduled; returns how many rows reached sent or failed."""
    stale = _stale_ids()
    if not stale and not _due_ids():
        return 0
    try:
        with _social(client) as social:
            snapshot = BrandPosts(social) if stale and current_app.config.get("X_BRAND_USER_ID") else None
            done = sum(reconcile(row_id, social, brand_posts=snapshot) in (OutboundState.sent, OutboundState.failed)
                       for row_id in stale)
            for row_id in _due_ids():
                done += send(row_id, social) in (OutboundState.sent, OutboundState.failed)
    except NotConfigured as error:
        log.warning("bridge outbox: %s", error)
        return 0
    return done


def state_counts() -> dict[str, int]:
    rows = db.session.execute(select(BridgeOutbound.state, func.count()).group_by(BridgeOutbound.state)).all()
    counts = {state.value: 0 for state in OutboundState}
    counts.update({state.value if isinstance(state, OutboundState) else str(state): n for state, n in rows})
    return counts
