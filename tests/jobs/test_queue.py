"""The job queue: inline jobs run after the response, RQ jobs run in a real worker on Redis."""
import uuid

import pytest

from community import create_app
from community.extensions import db
from community.jobs import queue
from community.jobs.registry import job
from community.models import SiteSetting

pytestmark = pytest.mark.backends("sqlite")


@job("tests.record_job")
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
        queue.enqueue(record_job, "job-marker", "done")
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
        queue.enqueue(record_job, "rq-marker", "from-worker")
        assert db.session.get(SiteSetting, "rq-marker") is None
        run_worker(rq_app, burst=True)
    db.session.expire_all()
    assert db.session.get(SiteSetting, "rq-marker").value == "from-worker"


@job("tests.append_job")
def append_job(key: str, value: str) -> None:
    """A job that appends to a row, to tell the order jobs ran in."""
    row = db.session.get(SiteSetting, key) or SiteSetting(key=key, value="")
    row.value = f"{row.value}{value}"
    db.session.add(row)
    db.session.commit()


def test_a_worker_takes_urgent_jobs_before_the_ones_queued_earlier(app, redis_url, database_url, tmp_path):
    from community.jobs.worker import run_worker

    rq_app = create_app({
        "DATABASE_URL": database_url, "INSTANCE_PATH": str(tmp_path / "rq"), "REDIS_URL": redis_url,
        "JOB_QUEUE": "rq", "RQ_QUEUE_NAME": f"test-{uuid.uuid4().hex[:8]}", "LOG_LEVEL": "WARNING",
        "SCHEDULER": "off",
    })
    with rq_app.app_context():
        for n in range(3):
            queue.enqueue(append_job, "order", f"n{n} ")
        queue.enqueue(append_job, "order", "urgent ", urgent=True)
        run_worker(rq_app, burst=True)
    db.session.expire_all()
    assert db.session.get(SiteSetting, "order").value == "urgent n0 n1 n2 "


def _enqueue_route(app):
    @app.route("/_enqueue", methods=["GET", "POST"])
    def enqueue_view():
        queue.enqueue(record_job, "job-marker", "done")
        return "queued"


def _marker():
    db.session.expire_all()
    row = db.session.get(SiteSetting, "job-marker")
    return row.value if row else None


def test_inline_job_runs_once_the_body_is_sent_even_if_the_server_never_closes_it(app):
    from werkzeug.test import EnvironBuilder

    app.config["JOBS_RUN_IMMEDIATELY"] = False
    _enqueue_route(app)
    body = app.wsgi_app(EnvironBuilder(path="/_enqueue").get_environ(), lambda *_args: None)
    assert _marker() is None
    assert b"".join(body) == b"queued"  # the server wrote every byte, then (say) lost the socket
    assert _marker() == "done"
    body.close()  # a close() after all that does not run the job a second time
    assert _marker() == "done"


def test_inline_job_runs_when_the_browser_resets_the_connection_after_the_response(app, live_server):
    """werkzeug's server (`flask run`) skips close() when the socket is reset while it drains the
    request; that used to lose the job (the sign-up mail, the reply to X) without a trace."""
    import socket
    import struct
    import time

    _enqueue_route(app)
    with socket.create_connection(("127.0.0.1", live_server.port), timeout=5) as sock:
        # Bytes after the request keep the server draining the socket until the reset arrives.
        sock.sendall(b"GET /_enqueue HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\nleftover")
        assert b"queued" in _read_until(sock, b"queued")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # close = RST
    deadline = time.monotonic() + 5
    while _marker() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _marker() == "done"


def _read_until(sock, marker: bytes) -> bytes:
    received = b""
    while marker not in received:
        chunk = sock.recv(4096)
        if not chunk:
            break
        received += chunk
    return received
