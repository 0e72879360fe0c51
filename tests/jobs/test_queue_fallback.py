"""Redis unreachable: jobs run in-process instead of being lost or failing the request."""
import pytest

from community.extensions import db
from community.jobs import queue
from community.models import SiteSetting

from ..conftest import free_port
from .test_queue import record_job

pytestmark = pytest.mark.backends("sqlite")


def test_job_runs_in_process_when_redis_refuses_the_enqueue(app, caplog):
    app.config.update(JOB_QUEUE="rq", REDIS_URL=f"redis://127.0.0.1:{free_port()}/0")
    queue.enqueue(record_job, "fallback-marker", "ran here")
    db.session.expire_all()
    assert db.session.get(SiteSetting, "fallback-marker").value == "ran here"
    assert "Redis unavailable" in caplog.text


def test_in_a_request_the_fallback_job_waits_for_the_response(app):
    app.config.update(JOB_QUEUE="rq", REDIS_URL=f"redis://127.0.0.1:{free_port()}/0", JOBS_RUN_IMMEDIATELY=False)

    @app.route("/_enqueue_fallback")
    def enqueue_view():
        queue.enqueue(record_job, "late-marker", "after")
        return "queued"

    response = app.test_client().get("/_enqueue_fallback")
    assert response.status_code == 200
    db.session.expire_all()
    assert db.session.get(SiteSetting, "late-marker") is None
    response.close()
    db.session.expire_all()
    assert db.session.get(SiteSetting, "late-marker").value == "after"
