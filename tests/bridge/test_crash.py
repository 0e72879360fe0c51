"""The crash test, for real: X accepts the post, the connection drops, and the worker process is
SIGKILLed mid-request. After a restart the outbox reconciles: exactly one post on X, and the case
shows its id. The worker is the real command (`flask bridge outbox`) in a child process."""
from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from community.extensions import db
from community.models import BridgeOutbound
from community.models.bridge import OutboundState
from community.services import bridge_invite, bridge_outbox

from .outbox_world import brand_posts, mention, posting, posting_config  # noqa: F401

ROOT = Path(__file__).resolve().parents[2]


def _worker_env(app, world, tmp_path) -> dict:
    env = {key: value for key, value in os.environ.items() if not key.startswith("COMMUNITY_")}
    settings = {**posting_config(world), "DATABASE_URL": app.config["DATABASE_URL"], "SECRET_KEY": "test-secret",
                "INSTANCE_PATH": str(tmp_path / "worker"), "SEARCH_INDEX_DIR": str(tmp_path / "worker-index"),
                "SEED_DEMO": "false", "JOB_QUEUE": "inline", "LOG_LEVEL": "WARNING",
                # The restarted worker treats any "sending" row as interrupted.
                "BRIDGE_SENDING_STALE_SECONDS": "0"}
    env.update({f"COMMUNITY_{name}": str(value) for name, value in settings.items()})
    env["FLASK_APP"] = "wsgi:app"
    return env


def _run_worker(env: dict) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "flask", "bridge", "outbox"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _row(row_id: int) -> BridgeOutbound:
    db.session.expire_all()
    return db.session.get(BridgeOutbound, row_id)


def test_worker_killed_after_x_accepted_the_post_leaves_exactly_one_post(
        app, client, auth, posting, make_user, monkeypatch, tmp_path):
    staff = make_user(role="staff")
    held: list[int] = []
    monkeypatch.setattr(bridge_outbox, "start", held.append)
    case = mention(posting)
    bridge_invite.invite(staff, case.id, case.version)
    row_id = held[0]

    # X stores the post, then hangs until the worker is dead, then drops the connection unanswered.
    fake = posting.fake.state
    accepted, release = threading.Event(), threading.Event()
    store = fake.add_post

    def store_then_hang(*args, **kwargs):
        post = store(*args, **kwargs)
        if kwargs.get("via_api"):
            accepted.set()
            release.wait(60)
        return post

    monkeypatch.setattr(fake, "add_post", store_then_hang)
    fake.add_fault("crash", "POST /2/tweets")
    env = _worker_env(app, posting, tmp_path)
    worker = _run_worker(env)
    try:
        assert accepted.wait(90), "the worker never posted"
        assert _row(row_id).state == OutboundState.sending  # the claim was committed before posting
        worker.kill()  # SIGKILL: no cleanup, no except blocks
        worker.wait(30)
    finally:
        release.set()
        if worker.poll() is None:
            worker.kill()
    assert worker.returncode == -9
    time.sleep(0.2)  # let the fake's request thread finish dropping the connection
    monkeypatch.undo()

    [post] = brand_posts(posting)
    assert _row(row_id).state == OutboundState.sending and _row(row_id).remote_post_id is None

    restarted = _run_worker(env)
    output, _ = restarted.communicate(timeout=120)
    assert restarted.returncode == 0, output
    assert "settled 1" in output

    row = _row(row_id)
    assert (row.state, row.remote_post_id, row.attempts) == (OutboundState.sent, post.id, 1)
    assert [p.id for p in brand_posts(posting)] == [post.id]
    db.session.refresh(case)
    assert case.first_response_at is not None
    auth.sign_in(staff)
    page = client.get("/staff/bridge?status=all").get_data(as_text=True)
    assert f"on X as {post.id}" in page and 'data-outbound-state="sent"' in page
