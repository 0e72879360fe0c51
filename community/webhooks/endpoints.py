"""Admin side of outgoing webhooks: register, edit, switch on and off, delete, test, redeliver.

Every change is audited in the same transaction. The signing secret is generated here and shown
to the admin once (on creation and after rotation); receivers keep their copy.
"""
from __future__ import annotations

from functools import partial
from dataclasses import dataclass, field
from typing import Optional

from flask import current_app
from sqlalchemy import func, select

from .. import policies
from ..errors import NotFound, ValidationFailed
from ..extensions import db
from ..jobs.queue import enqueue
from ..models import DeliveryState, User, WebhookDelivery, WebhookEndpoint, utcnow
from . import addresses, signing
from ..services import audit
from . import delivery as webhooks
from ..services.forum import Page, paginate

LOG_PER_PAGE = 50


@dataclass
class EndpointInput:
    url: str = ""
    description: str = ""
    events: list[str] = field(default_factory=list)


_require_admin = partial(policies.ensure, policies.can_manage_webhooks, message="Only administrators can manage webhooks.")


def _clean(data: EndpointInput) -> EndpointInput:
    url, description = data.url.strip(), data.description.strip()
    events = [event for event in webhooks.EVENT_TYPES if event in data.events]
    problems = {}
    if problem := addresses.url_problem(url) or _private_problem(url):
        problems["url"] = problem
    if len(description) > 200:
        problems["description"] = "Keep the description under 200 characters."
    if not events:
        problems["events"] = "Choose at least one event."
    unknown = set(data.events) - set(webhooks.EVENT_TYPES)
    if unknown:
        problems["events"] = f"Unknown event: {sorted(unknown)[0]}."
    if problems:
        raise ValidationFailed("Please correct the marked fields.", fields=problems)
    return EndpointInput(url, description, events)


def _private_problem(url: str) -> str | None:
    if current_app.config["WEBHOOK_ALLOW_PRIVATE_ADDRESSES"]:
        return None
    return addresses.literal_private_problem(url)


def _snapshot(endpoint: WebhookEndpoint) -> dict:
    return {"url": endpoint.url, "events": list(endpoint.events), "enabled": endpoint.enabled}


def list_endpoints(user: Optional[User]) -> list[tuple[WebhookEndpoint, dict[str, int]]]:
    """Endpoints with their delivery counts by state."""
    _require_admin(user)
    endpoints = db.session.scalars(select(WebhookEndpoint).order_by(WebhookEndpoint.id)).all()
    counts: dict[int, dict[str, int]] = {endpoint.id: {} for endpoint in endpoints}
    rows = db.session.execute(
        select(WebhookDelivery.endpoint_id, WebhookDelivery.state, func.count()).group_by(WebhookDelivery.endpoint_id, WebhookDelivery.state)
    )
    for endpoint_id, state, count in rows:
        counts.setdefault(endpoint_id, {})[state.value] = count
    return [(endpoint, counts[endpoint.id]) for endpoint in endpoints]


def get_endpoint(user: Optional[User], endpoint_id: int) -> WebhookEndpoint:
    _require_admin(user)
    endpoint = db.session.get(WebhookEndpoint, endpoint_id)
    if endpoint is None:
        raise NotFound("There is no such webhook endpoint.")
    return endpoint


def delivery_log(user: Optional[User], endpoint_id: int, page: int = 1) -> Page:
    endpoint = get_endpoint(user, endpoint_id)
    query = (select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint.id)
             .order_by(WebhookDelivery.id.desc()))
    return paginate(query, page, LOG_PER_PAGE)


def create_endpoint(user: Optional[User], data: EndpointInput) -> tuple[WebhookEndpoint, str]:
    """Returns the endpoint and its secret (show it to the admin now)."""
    _require_admin(user)
    clean = _clean(data)
    endpoint = WebhookEndpoint(url=clean.url, description=clean.description, events=clean.events,
                               secret=signing.new_secret(), created_by_id=user.id)
    db.session.add(endpoint)
    db.session.flush()
    audit.record(user, "webhook.create", "webhook_endpoint", endpoint.id, after=_snapshot(endpoint))
    db.session.commit()
    return endpoint, endpoint.secret


def update_endpoint(user: Optional[User], endpoint_id: int, data: EndpointInput) -> WebhookEndpoint:
    endpoint = get_endpoint(user, endpoint_id)
    clean = _clean(data)
    before = _snapshot(endpoint)
    endpoint.url, endpoint.description, endpoint.events = clean.url, clean.description, clean.events
    audit.record(user, "webhook.update", "webhook_endpoint", endpoint.id, before=before, after=_snapshot(endpoint))
    db.session.commit()
    return endpoint


def set_enabled(user: Optional[User], endpoint_id: int, enabled: bool) -> WebhookEndpoint:
    """Switching on again clears the failure run; its pending deliveries go out at once."""
    endpoint = get_endpoint(user, endpoint_id)
    if endpoint.enabled == enabled:
        return endpoint
    before = _snapshot(endpoint)
    endpoint.enabled = enabled
    if enabled:
        endpoint.failure_count, endpoint.disabled_at, endpoint.disabled_reason = 0, None, ""
    else:
        endpoint.disabled_at, endpoint.disabled_reason = utcnow(), f"Switched off by {user.username}."
    action = "webhook.enable" if enabled else "webhook.disable"
    audit.record(user, action, "webhook_endpoint", endpoint.id, before=before, after=_snapshot(endpoint))
    db.session.commit()
    if enabled:
        _queue_pending(endpoint.id)
    return endpoint


def _queue_pending(endpoint_id: int) -> None:
    due = db.session.scalars(select(WebhookDelivery.id).where(
        WebhookDelivery.endpoint_id == endpoint_id, WebhookDelivery.state == DeliveryState.pending,
        WebhookDelivery.next_attempt_at <= utcnow(),
    )).all()
    for delivery_id in due:
        enqueue(webhooks.deliver, delivery_id)


def rotate_secret(user: Optional[User], endpoint_id: int) -> str:
    endpoint = get_endpoint(user, endpoint_id)
    endpoint.secret = signing.new_secret()
    audit.record(user, "webhook.rotate_secret", "webhook_endpoint", endpoint.id)
    db.session.commit()
    return endpoint.secret


def delete_endpoint(user: Optional[User], endpoint_id: int) -> str:
    endpoint = get_endpoint(user, endpoint_id)
    url = endpoint.url
    audit.record(user, "webhook.delete", "webhook_endpoint", endpoint.id, before=_snapshot(endpoint))
    db.session.delete(endpoint)
    db.session.commit()
    return url


def send_test(user: Optional[User], endpoint_id: int) -> WebhookDelivery:
    """A `webhook.test` event to this endpoint only, delivered like any other (now, through the queue)."""
    endpoint = get_endpoint(user, endpoint_id)
    if not endpoint.enabled:
        raise ValidationFailed("Switch the endpoint on before sending a test event.")
    event = webhooks.record_event(webhooks.TEST_EVENT, {"message": "A test event from Parley.", "sent_by": user.username})
    delivery = WebhookDelivery(endpoint_id=endpoint.id, event_id=event.id, next_attempt_at=event.created_at)
    db.session.add(delivery)
    audit.record(user, "webhook.test", "webhook_endpoint", endpoint.id, after={"event_id": event.event_id})
    db.session.commit()
    enqueue(webhooks.deliver, delivery.id)
    return delivery


def redeliver(user: Optional[User], endpoint_id: int, delivery_id: int) -> WebhookDelivery:
    """Send the same event (same id, so receivers can dedupe) again, with a fresh set of attempts."""
    endpoint = get_endpoint(user, endpoint_id)
    delivery = db.session.get(WebhookDelivery, delivery_id)
    if delivery is None or delivery.endpoint_id != endpoint.id:
        raise NotFound("There is no such delivery.")
    if delivery.state == DeliveryState.delivering:
        raise ValidationFailed("This delivery is being sent right now.")
    before = {"state": delivery.state.value, "attempts": delivery.attempts}
    delivery.state, delivery.attempts, delivery.next_attempt_at = DeliveryState.pending, 0, utcnow()
    audit.record(user, "webhook.redeliver", "webhook_delivery", delivery.id, before=before,
                 after={"event_id": delivery.event.event_id})
    db.session.commit()
    enqueue(webhooks.deliver, delivery.id)
    return delivery
