"""emit(): events are recorded for subscribed endpoints only, once per key, and delivered signed."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from community.extensions import db
from community.models import DeliveryState, WebhookDelivery, WebhookEvent
from community.webhooks import delivery as webhooks


def test_emit_records_one_delivery_per_subscribed_enabled_endpoint(app, make_endpoint, sender):
    listening = make_endpoint(events=["sla.breached"])
    make_endpoint(events=["thread.created"])
    make_endpoint(events=["sla.breached"], enabled=False)
    event_id = webhooks.emit("sla.breached", {"thread": {"id": 7}})
    deliveries = db.session.scalars(select(WebhookDelivery)).all()
    assert [d.endpoint_id for d in deliveries] == [listening.id]
    assert deliveries[0].state == DeliveryState.delivered
    assert sender.sent[0]["headers"]["X-Parley-Event-Id"] == event_id
    assert sender.sent[0]["payload"] == {
        "id": event_id, "type": "sla.breached", "created_at": deliveries[0].event.payload["created_at"],
        "data": {"thread": {"id": 7}},
    }


def test_emit_without_listeners_writes_nothing(app, sender):
    assert webhooks.emit("thread.created", {}) is None
    assert db.session.scalar(select(func.count()).select_from(WebhookEvent)) == 0


def test_same_key_is_emitted_once(app, make_endpoint, sender):
    make_endpoint()
    first = webhooks.emit("bridge.case_created", {"case": {"id": 1}}, key="bridge.case_created:1")
    again = webhooks.emit("bridge.case_created", {"case": {"id": 1}}, key="bridge.case_created:1")
    assert first and again is None
    assert len(sender.sent) == 1


def test_unknown_event_type_is_refused(app):
    with pytest.raises(ValueError):
        webhooks.emit("thread.exploded", {})
