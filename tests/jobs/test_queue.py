"""The job queue: inline jobs run after the response, RQ jobs run in a real worker on Redis."""
import uuid

import pytest

from community import create_app
from community.extensions import db
from community.jobs import queue
from community.models import SiteSetting

pytestmark = pytest.mark.backends("sqlite")


def record_job(key: str, value: str) -> None:
    """A job that writes a row, and is safe to run twice (it upserts)."""
    row = db.session.get(SiteSetting, key) or SiteSetting(key=key, value=None)
    row.value = value
    db.session.add(row)
    db.session.commit()


def test_inline_job_runs_after_the_response_is_sent(app):
    app.config["JOBS_RUN_IMMEDIATELY"] = False
    seen_during_request = {}

    @app.route("/_enqueue")
    def enqueue_view():
        queue.enqueue("tests.jobs.test_queue:record_job", "job-marker", "done")
        seen_during_request["row"] = db.session.get(SiteSetting, "job-marker")
        return "queued"

    response = app.test_client().get("/_enqueue")
    assert response.status_code == 200
    assert seen_during_request["row"] is None
    db.session.expire_all()
    assert db.session.get(SiteSetting, "job-marker") is None, "ran before the response was sent"
    response.close()  # what a WSGI server does once the last byte is out
    db.session.expire_all()
    assert db.session.get(SiteSetting, "job-marker").value == "done"


def test_rq_job_runs_in_a_burst_worker_against_real_redis(app, redis_url, database_url, tmp_path):
    from community.jobs.worker import run_worker

    queue_name = f"test-{uuid.uuid4().hex[:8]}"
    rq_app = create_app({
        "DATABASE_URL": database_url, "INSTANCE_PATH": str(tmp_path / "rq"), "REDIS_URL": redis_url,
        "JOB_QUEUE": "rq", "RQ_QUEUE_NAME": queue_name, "LOG_LEVEL": "WARNING",
    })
    with rq_app.app_context():
        queue.enqueue("tests.jobs.test_queue:record_job", "rq-marker", "from-worker")
        assert db.session.get(SiteSetting, "rq-marker") is None
        run_worker(rq_app, burst=True)
    db.session.expire_all()
    assert db.session.get(SiteSetting, "rq-marker").value == "from-worker"
