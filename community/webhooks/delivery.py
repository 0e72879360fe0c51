"""Outgoing webhooks: record events, deliver them signed through the job queue, retry, give up.

Other services call `emit(event_type, data)` after their own commit. It stores one WebhookEvent and
one WebhookDelivery per enabled endpoint subscribed to that type, commits, and queues
`deliver(delivery_id)` for each. Nothing is written when no endpoint listens.

Delivery: `deliver` claims a due pending row (one atomic UPDATE, so two workers never both send
it), posts the signed payload, and records the outcome. A failure schedules a retry with
exponential back-off; `retry_due` (run by `flask community webhooks-retry` from cron, and by
run-scheduled) queues the rows whose time has come, since the inline queue cannot delay a job.
After WEBHOOK_DISABLE_AFTER_FAILURES consecutive failed attempts an endpoint is switched off,
audited, and the admins are emailed.

Payload rule: content anyone may read anonymously (public category, not private, pending, hidden
or deleted) is described with its title, excerpt and author. Anything else is sent as ids and a
link only, so a CRM never receives text the community would not show to a stranger.
"""
from __future__ import annotations

import json
import logging
import uuid
from datetime import timedelta
from typing import Any, Optional

from flask import current_app
from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError

from .. import policies
from ..extensions import db
from ..jobs.queue import enqueue
from ..jobs.registry import job
from ..models import Post, Role, Thread, ThreadState, User, utcnow
from ..models.webhooks import DeliveryState, WebhookDelivery, WebhookEndpoint, WebhookEvent
from . import addresses, signing
from .sender import get_sender
from .transport import SendResult
from ..services import audit
from ..services.mail import absolute_url, send_email

log = logging.getLogger(__name__)

EVENT_TYPES: dict[str, str] = {
    "thread.created": "A thread was started (or approved by a moderator).",
    "post.created": "A reply was posted (or approved).",
    "answer.verified": "Staff verified a reply as the answer.",
    "thread.solved": "A thread was solved for the first time.",
    "sla.breached": "A thread missed its first-response or resolution target.",
    "bridge.case_created": "The X bridge opened a case for a post.",
    "bridge.invited": "The X bridge invited an author to the community.",
    "bridge.linked": "An X author linked their account.",
}
TEST_EVENT = "webhook.test"
EXCERPT_CHARS = 280


# --- emitting -------------------------------------------------------------------------------------


def emit(event_type: str, data: dict[str, Any], *, key: str | None = None) -> str | None:
    """Call after your commit. Records the event for every subscribed endpoint and queues delivery.

    `key` names the happening so a job that runs twice emits it once. Returns the event id, or None
    when nobody listens or the key was already emitted. Commits its own rows.
    """
    return (emit_many(event_type, [(data, key)]) or [None])[0]


def emit_many(event_type: str, items: list[tuple[dict[str, Any], str | None]]) -> list[str]:
    """`emit` for a batch (an import filing thousands of cases): one endpoint lookup, one commit.
    Returns the ids of the events recorded (keys already emitted are skipped)."""
    if event_type not in EVENT_TYPES:
        raise ValueError(f"unknown webhook event {event_type!r}")
    endpoint_ids = subscribed_endpoint_ids(event_type)
    if not endpoint_ids or not items:
        return []
    recorded = [record_event(event_type, data, key) for data, key in items]
    events = [event for event in recorded if event is not None]
    deliveries = [WebhookDelivery(endpoint_id=endpoint_id, event_id=event.id, next_attempt_at=event.created_at)
                  for event in events for endpoint_id in endpoint_ids]
    db.session.add_all(deliveries)
    db.session.commit()
    for delivery in deliveries:
        enqueue(deliver, delivery.id)
    return [event.event_id for event in events]


def subscribed_endpoint_ids(event_type: str) -> list[int]:
    # Few endpoints exist; filtering the JSON list in Python works the same on both databases.
    rows = db.session.execute(select(WebhookEndpoint.id, WebhookEndpoint.events).where(WebhookEndpoint.enabled))
    return [endpoint_id for endpoint_id, events in rows if event_type in (events or [])]


def record_event(event_type: str, data: dict[str, Any], key: str | None = None) -> WebhookEvent | None:
    """Add the event row (flushed), or None when its key was emitted before."""
    event_id = str(uuid.uuid4())
    now = utcnow()
    payload = {"id": event_id, "type": event_type, "created_at": now.isoformat(), "data": data}
    event = WebhookEvent(event_id=event_id, type=event_type, payload=payload, dedupe_key=key, created_at=now)
    try:
        with db.session.begin_nested():
            db.session.add(event)
            db.session.flush()
    except IntegrityError:
        return None
    return event


def bridge_case_data(case) -> dict[str, Any]:
    """A bridge case: who and where on the network, never the posts' text (staff read that in Parley)."""
    return {"case": {
        "id": case.id, "network": case.network, "conversation_id": case.conversation_id,
        "author_id": case.author_id, "author_username": case.author_username, "status": case.status.value,
        "label": case.label, "summoned": bool(case.summoned),
        "detected_at": case.detected_at.isoformat() if case.detected_at else None,
        "linked_thread_id": case.linked_thread_id, "url": absolute_url("bridge.index"),
    }}


# --- forum events (from the notifications publish path) ---------------------------------------------


@job("webhooks.on_forum_event")
def on_forum_event(kind: str, thread_id: int, post_id: int | None) -> None:
    """Job: turn a notification event into webhook events. Safe to run twice (dedupe keys)."""
    thread = db.session.get(Thread, thread_id)
    post = db.session.get(Post, post_id) if post_id else None
    if thread is None:
        return
    if kind == "post_created" and post is not None:
        event_type = "thread.created" if post.is_opening else "post.created"
        key = f"thread.created:{thread.id}" if post.is_opening else f"post.created:{post.id}"
        emit(event_type, content_data(thread, post), key=key)
    elif kind == "answer_verified" and post is not None:
        emit("answer.verified", content_data(thread, post), key=f"answer.verified:{post.id}")
    if kind in ("answer_accepted", "answer_verified") and _is_solved(thread):
        # solved_at is set once per thread, so "solved" is announced once however it got there.
        emit("thread.solved", content_data(thread, post), key=f"thread.solved:{thread.id}")


def _is_solved(thread: Thread) -> bool:
    return thread.solved_at is not None and thread.state in (ThreadState.solved, ThreadState.closed)


def content_data(thread: Thread, post: Optional[Post] = None) -> dict[str, Any]:
    """The payload for a thread (and post): full for public content, ids and links otherwise."""
    data: dict[str, Any] = {"thread": _thread_data(thread)}
    if post is not None:
        data["post"] = _post_data(post)
    return data


def _thread_data(thread: Thread) -> dict[str, Any]:
    if not policies.can_read_thread(None, thread):
        # No slug in the link either: it is made from the title.
        return {"id": thread.id, "url": absolute_url("forum.thread", thread_id=thread.id, slug=""), "public": False}
    link = absolute_url("forum.thread", thread_id=thread.id, slug=thread.slug)
    return {
        "id": thread.id, "url": link, "public": True, "title": thread.title, "state": thread.state.value,
        "category": {"id": thread.category.id, "slug": thread.category.slug, "name": thread.category.name},
        "author": _author(thread.author), "created_at": thread.created_at.isoformat(),
        "solved_at": thread.solved_at.isoformat() if thread.solved_at else None,
    }


def _post_data(post: Post) -> dict[str, Any]:
    link = absolute_url("forum.post_permalink", post_id=post.id)
    if not policies.can_read_post(None, post):
        return {"id": post.id, "thread_id": post.thread_id, "url": link, "public": False}
    return {
        "id": post.id, "thread_id": post.thread_id, "url": link, "public": True, "position": post.position,
        "author": _author(post.author), "created_at": post.created_at.isoformat(),
        "excerpt": post.body_markdown[:EXCERPT_CHARS],
    }


def _author(user: User) -> dict[str, Any]:
    return {"id": user.id, "username": user.username, "staff": policies.is_staff(user)}


# --- delivering ---------------------------------------------------------------------------------------


@job("webhooks.deliver")
def deliver(delivery_id: int) -> None:
    """Job: send one delivery if it is still pending and due. Safe to run twice."""
    if not _claim(delivery_id):
        return
    delivery = db.session.get(WebhookDelivery, delivery_id)
    result = send(delivery.endpoint, delivery.event)
    record_result(delivery_id, result)


def _claim(delivery_id: int) -> bool:
    now = utcnow()
    enabled = select(WebhookEndpoint.id).where(WebhookEndpoint.enabled)
    claimed = db.session.execute(
        update(WebhookDelivery)
        .where(
            WebhookDelivery.id == delivery_id, WebhookDelivery.state == DeliveryState.pending,
            WebhookDelivery.next_attempt_at <= now, WebhookDelivery.endpoint_id.in_(enabled),
        )
        .values(state=DeliveryState.delivering, claimed_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    return claimed == 1


def send(endpoint: WebhookEndpoint, event: WebhookEvent) -> SendResult:
    """Sign and post one event to one endpoint (no bookkeeping)."""
    config = current_app.config
    problem = addresses.destination_problem(endpoint.url, allow_private=config["WEBHOOK_ALLOW_PRIVATE_ADDRESSES"])
    if problem:
        return SendResult(None, error=problem)
    body = json.dumps(event.payload, separators=(",", ":"), sort_keys=True).encode()
    headers = signing.signed_headers(endpoint.secret, body, event.type, event.event_id)
    return get_sender(current_app).post(endpoint.url, body, headers, float(config["WEBHOOK_TIMEOUT_SECONDS"]))


def record_result(delivery_id: int, result: SendResult) -> None:
    delivery = db.session.get(WebhookDelivery, delivery_id)
    if delivery is None:  # the endpoint was deleted while this was being sent
        return
    now = utcnow()
    delivery.attempts += 1
    delivery.last_attempt_at, delivery.claimed_at = now, None
    delivery.response_status, delivery.response_excerpt = result.status, result.excerpt
    delivery.error, delivery.duration_ms = result.error[:300], result.duration_ms
    if result.ok:
        delivery.state, delivery.delivered_at = DeliveryState.delivered, now
        _reset_failures(delivery.endpoint_id)
        db.session.commit()
        return
    if delivery.attempts >= current_app.config["WEBHOOK_MAX_ATTEMPTS"]:
        delivery.state = DeliveryState.failed
    else:
        delivery.state = DeliveryState.pending
        delivery.next_attempt_at = now + timedelta(seconds=backoff_seconds(delivery.attempts))
    disabled = _count_failure(delivery.endpoint_id)
    db.session.commit()
    if disabled:
        enqueue(notify_admins_disabled, delivery.endpoint_id)


def backoff_seconds(attempts: int) -> int:
    """Wait before retry number `attempts`: base, 2×base, 4×base, ... capped."""
    config = current_app.config
    base, cap = int(config["WEBHOOK_RETRY_BASE_SECONDS"]), int(config["WEBHOOK_RETRY_MAX_SECONDS"])
    return min(cap, base * 2 ** max(0, attempts - 1))


def _reset_failures(endpoint_id: int) -> None:
    db.session.execute(
        update(WebhookEndpoint).where(WebhookEndpoint.id == endpoint_id, WebhookEndpoint.failure_count != 0)
        .values(failure_count=0).execution_options(synchronize_session=False)
    )


def _count_failure(endpoint_id: int) -> bool:
    """Add one consecutive failure; switch the endpoint off at the limit. True if this call did."""
    db.session.execute(
        update(WebhookEndpoint).where(WebhookEndpoint.id == endpoint_id)
        .values(failure_count=WebhookEndpoint.failure_count + 1).execution_options(synchronize_session=False)
    )
    limit = current_app.config["WEBHOOK_DISABLE_AFTER_FAILURES"]
    if not limit:
        return False
    switched_off = db.session.execute(
        update(WebhookEndpoint)
        .where(WebhookEndpoint.id == endpoint_id, WebhookEndpoint.enabled, WebhookEndpoint.failure_count >= limit)
        .values(enabled=False, disabled_at=utcnow(), disabled_reason=f"{limit} deliveries failed in a row.")
        .execution_options(synchronize_session=False)
    ).rowcount
    if switched_off:
        audit.record(None, "webhook.auto_disable", "webhook_endpoint", endpoint_id, after={"failures": limit})
    return bool(switched_off)


@job("webhooks.notify_admins_disabled")
def notify_admins_disabled(endpoint_id: int) -> int:
    """Job: email every active admin that an endpoint was switched off. Returns emails sent."""
    endpoint = db.session.get(WebhookEndpoint, endpoint_id)
    if endpoint is None or endpoint.enabled:
        return 0
    admins = db.session.scalars(select(User).where(User.role == Role.admin, User.deleted_at.is_(None), User.is_banned.is_(False))).all()
    link = absolute_url("webhooks_admin.show", endpoint_id=endpoint.id)
    for admin in admins:
        send_email(admin.email, "A webhook endpoint was disabled", "webhook_disabled", endpoint=endpoint, link=link)
    return len(admins)


# --- the retry tick -----------------------------------------------------------------------------------


@job("webhooks.retry_due")
def retry_due(now=None, limit: int = 1000) -> int:
    """Scheduled task: queue every due pending delivery (and free rows a crashed worker held)."""
    now = now or utcnow()
    _release_stale_claims(now)
    due = db.session.scalars(
        select(WebhookDelivery.id)
        .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
        .where(WebhookDelivery.state == DeliveryState.pending, WebhookDelivery.next_attempt_at <= now, WebhookEndpoint.enabled)
        .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
        .limit(limit)
    ).all()
    for delivery_id in due:
        enqueue(deliver, delivery_id)
    return len(due)


def _release_stale_claims(now) -> None:
    # A claim older than the send timeout plus a margin belongs to a worker that died mid-send.
    stale = now - timedelta(seconds=float(current_app.config["WEBHOOK_TIMEOUT_SECONDS"]) + 60)
    db.session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.state == DeliveryState.delivering, or_(WebhookDelivery.claimed_at.is_(None), WebhookDelivery.claimed_at < stale))
        .values(state=DeliveryState.pending, claimed_at=None)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
