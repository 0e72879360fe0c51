"""With Redis, deliveries and retries go through a real RQ worker (forked work-horses) and still
arrive exactly once."""
from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from community import create_app
from community.extensions import db
from community.models import DeliveryState, WebhookDelivery, WebhookEndpoint
from community.webhooks import delivery as webhooks

from .conftest import SECRET

pytestmark = pytest.mark.backends("sqlite")  # the queue is under test here, not the database


def test_deliveries_and_retries_run_in_an_rq_worker(app, redis_url, database_url, tmp_path, receiver):
    from community.jobs.worker import run_worker

    rq_app = create_app({
        "DATABASE_URL": database_url, "INSTANCE_PATH": str(tmp_path / "rq"), "REDIS_URL": redis_url,
        "JOB_QUEUE": "rq", "RQ_QUEUE_NAME": f"test-{uuid.uuid4().hex[:8]}", "LOG_LEVEL": "WARNING",
        "WEBHOOK_ALLOW_PRIVATE_ADDRESSES": True, "WEBHOOK_RETRY_BASE_SECONDS": 0,
    })
    with rq_app.app_context():
        db.session.add(WebhookEndpoint(url=receiver.url, secret=SECRET, events=["sla.breached"]))
        db.session.commit()
        first = webhooks.emit("sla.breached", {"n": 1})
        assert receiver.received == []  # queued, not sent in this process
        run_worker(rq_app, burst=True)
        receiver.stop()
        second = webhooks.emit("sla.breached", {"n": 2})
        run_worker(rq_app, burst=True)  # fails: the receiver is down
        receiver.start()
        assert webhooks.retry_due() == 1
        run_worker(rq_app, burst=True)
        db.session.expire_all()
        states = db.session.scalars(select(WebhookDelivery.state)).all()
    assert receiver.counts() == {first: 1, second: 1}
    assert states == [DeliveryState.delivered, DeliveryState.delivered]
