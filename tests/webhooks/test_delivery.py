"""Delivery to a real HTTP receiver on 127.0.0.1: signatures, outage and retry, back-off, giving up."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from community.extensions import db
from community.models import AuditEntry, DeliveryState, Role, WebhookDelivery, WebhookEndpoint, utcnow
from community.webhooks import delivery as webhooks

from .conftest import SECRET


@pytest.fixture
def app_overrides() -> dict:
    # Retries become due at once, so the test's retry tick stands in for the passing of time.
    return {"WEBHOOK_ALLOW_PRIVATE_ADDRESSES": True, "WEBHOOK_RETRY_BASE_SECONDS": 0, "WEBHOOK_TIMEOUT_SECONDS": 5}


def _states() -> dict[str, int]:
    rows = db.session.execute(select(WebhookDelivery.state, func.count()).group_by(WebhookDelivery.state))
    return {state.value: count for state, count in rows}


def test_receiver_outage_every_event_arrives_exactly_once(app, make_endpoint, receiver):
    make_endpoint(url=receiver.url, events=["sla.breached"])
    emitted = [webhooks.emit("sla.breached", {"thread": {"id": n}}) for n in range(3)]
    receiver.stop()  # the receiver goes away mid-run; events keep coming
    emitted += [webhooks.emit("sla.breached", {"thread": {"id": n}}) for n in range(3, 7)]
    assert _states() == {"delivered": 3, "pending": 4}
    assert webhooks.retry_due() == 4  # still down: every retry fails again, nothing is lost
    assert _states() == {"delivered": 3, "pending": 4}
    receiver.start()
    emitted += [webhooks.emit("sla.breached", {"thread": {"id": 7}})]
    assert webhooks.retry_due() == 4
    assert webhooks.retry_due() == 0
    assert receiver.counts() == {event_id: 1 for event_id in emitted}
    assert receiver.bad_signatures == 0
    assert sorted(item["payload"]["data"]["thread"]["id"] for item in receiver.received) == list(range(8))
    assert _states() == {"delivered": 8}
    failed_twice = db.session.scalars(select(WebhookDelivery).where(WebhookDelivery.attempts == 3)).all()
    assert len(failed_twice) == 4 and all(d.response_status == 204 for d in failed_twice)


def test_receiver_refuses_a_wrong_secret_and_the_delivery_is_retried(app, make_endpoint, receiver):
    make_endpoint(url=receiver.url, secret="not-" + SECRET)
    webhooks.emit("bridge.invited", {"case": {"id": 1}})
    assert receiver.bad_signatures == 1 and receiver.received == []
    delivery = db.session.scalars(select(WebhookDelivery)).one()
    assert (delivery.state, delivery.response_status, delivery.attempts) == (DeliveryState.pending, 401, 1)


def test_headers_name_the_event_and_its_id(app, make_endpoint, receiver):
    make_endpoint(url=receiver.url)
    event_id = webhooks.emit("bridge.linked", {"user": {"id": 5}})
    assert receiver.received[0]["id"] == event_id
    assert receiver.received[0]["type"] == "bridge.linked"


def test_running_a_delivery_job_twice_sends_once(app, make_endpoint, receiver):
    make_endpoint(url=receiver.url)
    webhooks.emit("bridge.linked", {"user": {"id": 5}})
    delivery = db.session.scalars(select(WebhookDelivery)).one()
    webhooks.deliver(delivery.id)
    assert len(receiver.received) == 1


def test_backoff_doubles_up_to_the_cap(app):
    app.config.update(WEBHOOK_RETRY_BASE_SECONDS=60, WEBHOOK_RETRY_MAX_SECONDS=3600)
    assert [webhooks.backoff_seconds(n) for n in range(1, 9)] == [60, 120, 240, 480, 960, 1920, 3600, 3600]


def test_a_failed_attempt_waits_for_its_backoff(app, make_endpoint, sender):
    app.config.update(WEBHOOK_RETRY_BASE_SECONDS=60)
    make_endpoint()
    sender.statuses = [500, 500]
    before = utcnow()
    webhooks.emit("sla.breached", {})
    delivery = db.session.scalars(select(WebhookDelivery)).one()
    assert delivery.state == DeliveryState.pending
    assert before + timedelta(seconds=59) < delivery.next_attempt_at < utcnow() + timedelta(seconds=61)
    assert webhooks.retry_due() == 0  # not due yet
    assert webhooks.retry_due(now=utcnow() + timedelta(seconds=61)) == 1
    assert len(sender.sent) == 1  # the queued job found it not yet due by the clock, so it waits


def test_gives_up_after_max_attempts(app, make_endpoint, sender):
    app.config.update(WEBHOOK_MAX_ATTEMPTS=3)
    make_endpoint()
    sender.statuses = [500, 502, None, 200]
    webhooks.emit("sla.breached", {})
    webhooks.retry_due()
    webhooks.retry_due()
    delivery = db.session.scalars(select(WebhookDelivery)).one()
    assert (delivery.state, delivery.attempts, delivery.response_status) == (DeliveryState.failed, 3, None)
    assert "refused" in delivery.error
    assert webhooks.retry_due() == 0 and len(sender.sent) == 3


def test_endpoint_is_disabled_after_consecutive_failures_with_audit_and_email(app, make_endpoint, sender, make_user):
    app.config.update(WEBHOOK_DISABLE_AFTER_FAILURES=3)
    admin = make_user(role=Role.admin)
    make_user(role=Role.staff)
    endpoint = make_endpoint()
    sender.statuses = [500, 500, 200, 500, 500, 500]
    for n in range(4):
        webhooks.emit("sla.breached", {"n": n})  # 500, 500, 200 (resets the run), 500
    assert db.session.get(WebhookEndpoint, endpoint.id).enabled
    webhooks.retry_due()  # the 3 pending rows fail again: 500, 500 → third in a row
    db.session.expire_all()
    disabled = db.session.get(WebhookEndpoint, endpoint.id)
    assert not disabled.enabled and disabled.disabled_at is not None and disabled.failure_count >= 3
    audit = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "webhook.auto_disable")).one()
    assert audit.target_id == endpoint.id
    outbox = list((app.instance_path and __import__("pathlib").Path(app.instance_path) / "outbox").glob("*.eml"))
    assert len(outbox) == 1 and admin.email in outbox[0].read_text()
    sent_before = len(sender.sent)
    assert webhooks.emit("sla.breached", {}) is None  # a disabled endpoint gets no new events
    assert webhooks.retry_due() == 0 and len(sender.sent) == sent_before


def test_private_addresses_are_refused_unless_allowed(app, make_endpoint, sender):
    app.config["WEBHOOK_ALLOW_PRIVATE_ADDRESSES"] = False
    make_endpoint(url="http://127.0.0.1:9/hook")
    webhooks.emit("sla.breached", {})
    delivery = db.session.scalars(select(WebhookDelivery)).one()
    assert sender.sent == [] and "private address" in delivery.error
