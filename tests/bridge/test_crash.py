"""The crash test, for real: X accepts the post, the connection drops, and the worker process is
SIGKILLed mid-request. After a restart the outbox reconciles: exactly one post on X, and the case
shows its id. The worker is a real child process: `flask bridge outbox` (the cron command) or the RQ
worker (`flask community worker --burst`) running the send job from Redis."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest

from community.extensions import db
from community.jobs import queue
from community.models import BridgeOutbound
from community.models.bridge import OutboundState
from community.bridge import respond as bridge_invite
from community.bridge import outbox as bridge_outbox

from .outbox_world import brand_posts, mention, posting, posting_config  # noqa: F401

ROOT = Path(__file__).resolve().parents[2]
COMMANDS = {"cli": ["bridge", "outbox"], "rq": ["community", "worker", "--burst"]}


def _worker_env(app, world, tmp_path, extra: dict) -> dict:
    env = {key: value for key, value in os.environ.items() if not key.startswith("COMMUNITY_")}
    settings = {**posting_config(world), "DATABASE_URL": app.config["DATABASE_URL"], "SECRET_KEY": "test-secret",
                "INSTANCE_PATH": str(tmp_path / "worker"), "SEARCH_INDEX_DIR": str(tmp_path / "worker-index"),
                "SEED_DEMO": "false", "JOB_QUEUE": "inline", "LOG_LEVEL": "WARNING",
                # The restarted worker treats any "sending" row as interrupted.
                "BRIDGE_SENDING_STALE_SECONDS": "0", **extra}
    env.update({f"COMMUNITY_{name}": str(value) for name, value in settings.items()})
    env["FLASK_APP"] = "wsgi:app"
    return env


def _start(runner: str, env: dict) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "flask", *COMMANDS[runner]], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def _kill_hard(worker: subprocess.Popen) -> None:
    """SIGKILL the worker and its work horse (RQ puts the horse in a session of its own)."""
    for pid in [*_children(worker.pid), worker.pid]:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def _row(row_id: int) -> BridgeOutbound:
    db.session.expire_all()
    return db.session.get(BridgeOutbound, row_id)


class HangAfterStoring:
    """X stores the post, then hangs until released (the worker is killed meanwhile)."""

    def __init__(self, state, monkeypatch) -> None:
        self.accepted, self.release = threading.Event(), threading.Event()
        self.store = state.add_post
        monkeypatch.setattr(state, "add_post", self)

    def __call__(self, *args, **kwargs):
        post = self.store(*args, **kwargs)
        if kwargs.get("via_api"):
            self.accepted.set()
            self.release.wait(60)
        return post


@pytest.mark.parametrize("runner", ["cli", "rq"])
def test_worker_killed_after_x_accepted_the_post_leaves_exactly_one_post(
        app, client, auth, posting, make_user, monkeypatch, tmp_path, runner, request):
    extra = {}
    if runner == "rq":
        redis_url = request.getfixturevalue("redis_url")
        extra = {"REDIS_URL": redis_url, "JOB_QUEUE": "rq", "RQ_QUEUE_NAME": f"crash-{uuid.uuid4().hex[:8]}"}
        app.config.update(extra)
    staff = make_user(role="staff")
    held: list[int] = []
    if runner == "cli":
        monkeypatch.setattr(bridge_outbox, "start", held.append)  # the cron command will find it queued
    case = mention(posting)
    bridge_invite.invite(staff, case.id, case.version)  # with rq: the send job waits in Redis
    row_id = held[0] if held else case.outbound[0].id

    hang = HangAfterStoring(posting.fake.state, monkeypatch)
    posting.fake.state.add_fault("crash", "POST /2/tweets")  # and then the connection drops unanswered
    env = _worker_env(app, posting, tmp_path, extra)
    worker = _start(runner, env)
    try:
        assert hang.accepted.wait(90), "the worker never posted"
        assert _row(row_id).state == OutboundState.sending  # the claim was committed before posting
        _kill_hard(worker)  # no cleanup, no except blocks, in the horse either
        worker.wait(30)
    finally:
        hang.release.set()
        if worker.poll() is None:
            _kill_hard(worker)
    assert worker.returncode == -signal.SIGKILL
    time.sleep(0.2)  # let the fake's request thread finish dropping the connection
    monkeypatch.setattr(posting.fake.state, "add_post", hang.store)

    [post] = brand_posts(posting)
    assert _row(row_id).state == OutboundState.sending and _row(row_id).remote_post_id is None

    if runner == "rq":  # what the scheduled run does after a restart
        queue.enqueue(bridge_outbox.process_due)
    restarted = _start(runner, env)
    output, _ = restarted.communicate(timeout=120)
    assert restarted.returncode == 0, output

    row = _row(row_id)
    assert (row.state, row.remote_post_id, row.attempts) == (OutboundState.sent, post.id, 1), row.last_error
    assert [p.id for p in brand_posts(posting)] == [post.id]
    db.session.refresh(case)
    assert case.first_response_at is not None
    app.config["JOB_QUEUE"] = "inline"
    auth.sign_in(staff)
    page = client.get("/staff/bridge?status=all").get_data(as_text=True)
    assert f"on X as {post.id}" in page and 'data-outbound-state="sent"' in page
