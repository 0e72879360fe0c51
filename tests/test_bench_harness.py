"""The pieces of `make bench` that can be checked without a load run."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from bench import run_bench
from bench.bare_app.app import app as bare_app

pytestmark = pytest.mark.backends("sqlite")


def test_bare_app_renders_a_two_kilobyte_page():
    response = bare_app.test_client().get("/")
    assert response.status_code == 200
    assert 1_800 <= len(response.data) <= 2_300


def test_worker_memory_is_read_from_proc():
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        assert child.pid in run_bench.child_pids(os.getpid())
        rss, anon = run_bench.rss_mb(child.pid)
        assert 0 < anon <= rss < 500
    finally:
        child.kill()
        child.wait()


def test_session_cookie_signs_the_user_in(app, client, make_user):
    user = make_user(display_name="Benchmark Bea")
    name, value = run_bench.session_cookie(app, user.id).split("=", 1)
    client.set_cookie(name, value, domain="localhost")
    assert "Benchmark Bea" in client.get("/").get_data(as_text=True)


def test_seed_size_scales_down_but_keeps_the_special_threads_possible():
    size = run_bench.Options(scale=0.001).seed_size()
    assert size.posts >= 2_000 and size.threads >= 100
    assert run_bench.Options(scale=1.0).seed_size().posts == 1_000_000
