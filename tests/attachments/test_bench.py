"""`make bench-attachments` runs: both benchmarks at a tiny size (the lead runs them at full size)."""
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bench.live_fanout import NGINX

from ..conftest import require_service

pytestmark = pytest.mark.backends("sqlite")
ROOT = Path(__file__).resolve().parents[2]


def test_the_attachment_bench_runs_at_a_tiny_size():
    environment = {**os.environ, "BENCH_PHOTO_MB": "0.05", "BENCH_FILE_MB": "0.05", "BENCH_REPEAT": "1"}
    done = subprocess.run([sys.executable, "bench/attachments_bench.py"], cwd=ROOT, env=environment,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "photo (JPEG, re-encoded)" in done.stdout and "file (.log)" in done.stdout
    assert "photo (HEIC, stored as JPEG)" in done.stdout


def test_the_serving_bench_runs_for_a_second_a_row():
    """Each row checks its answer (200, the whole file, a signed-in reader) before wrk loads it."""
    from bench.attachments_serving_bench import accel_available

    require_service(shutil.which("wrk") is not None and Path(NGINX).exists(), "wrk and nginx (make wrk nginx)")
    environment = {**os.environ, "BENCH_DURATION": "1", "BENCH_WARMUP": "0", "BENCH_WORKERS": "1", "BENCH_THREADS": "2"}
    done = subprocess.run([sys.executable, "bench/attachments_serving_bench.py"], cwd=ROOT, env=environment,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    rows = {line[:44].strip(): line[44:].split() for line in done.stdout.splitlines()[2:] if line[:1].isalpha()}
    labels = ["nginx static file (no check; ceiling)", "Parley via nginx: check, Flask sends",
              "bare Flask app via nginx (2 KB page)"]
    if accel_available():
        labels.append("Parley via nginx: check, X-Accel-Redirect")
    for label in labels:
        requests_per_second, _p50, _p99, not_ok = rows[label]
        assert float(requests_per_second) > 0 and not_ok == "0", (label, done.stdout)
    assert "load average at start" in done.stdout


def test_a_rerender_keeps_a_posts_attachments(app, client, auth, make_user, make_thread):
    from community.extensions import db
    from community.models import Post
    from community.services.threads import rerender_double_escaped

    from .helpers import png, upload

    auth.sign_in(make_user())
    thread = make_thread()
    sent = upload(client, png(), "a.png").get_json()
    client.post(f"/t/{thread.id}/reply", data={"body": f"{sent['markdown']} `a < b`"})
    post = db.session.query(Post).order_by(Post.id.desc()).first()
    post.body_html = post.body_html + "&amp;lt;"
    db.session.commit()
    assert rerender_double_escaped() == 1
    assert 'class="attachment-image"' in db.session.get(Post, post.id).body_html
