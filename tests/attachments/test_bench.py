"""`make bench-attachments` runs: the benchmark at a tiny size (the lead runs it at full size)."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.backends("sqlite")
ROOT = Path(__file__).resolve().parents[2]


def test_the_attachment_bench_runs_at_a_tiny_size():
    environment = {**os.environ, "BENCH_PHOTO_MB": "0.05", "BENCH_FILE_MB": "0.05", "BENCH_REPEAT": "1"}
    done = subprocess.run([sys.executable, "bench/attachments_bench.py"], cwd=ROOT, env=environment,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "photo (JPEG, re-encoded)" in done.stdout and "file (.log)" in done.stdout


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
