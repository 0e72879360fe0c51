"""`flask bridge fake-x`: the offline demo server and its seeded data."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from community.bridge.fake_x import FakeX
from community.bridge.fake_x.demo import DEMO_APP_TOKEN, DEMO_BRAND_ID, seed_demo
from community.bridge.x_api import UserTokens, XApiClient

from ..conftest import free_port
from .http import call

PROJECT = Path(__file__).resolve().parents[2]


def test_demo_data_serves_mentions_and_accepts_replies():
    with FakeX() as fake:
        credentials = seed_demo(fake.state, "http://127.0.0.1:5000/bridge/x/callback")
        tokens = UserTokens(credentials.user_tokens["access_token"])
        with XApiClient(base_url=fake.url, bearer_token=credentials.app_token, user_tokens=tokens) as client:
            assert client.get_me().value.username == "parleyhelp"
            mentions = client.get_mentions(DEMO_BRAND_ID).posts
            assert len(mentions) == 4 and all("@parleyhelp" in post.text for post in mentions)
            reply = client.create_post("Thanks Dana, we fixed the VAT number.", in_reply_to=mentions[-1].id)
        assert fake.state.posts[reply.value.id].replied_to_id == mentions[-1].id


def test_cli_command_serves_the_demo(tmp_path):
    port = free_port()
    env = {**os.environ, "FLASK_APP": "wsgi:app", "COMMUNITY_DATABASE_URL": f"sqlite:///{tmp_path / 'demo.db'}"}
    process = subprocess.Popen([str(Path(sys.executable).parent / "flask"), "bridge", "fake-x", "--port", str(port)],
                               cwd=PROJECT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        lines = []
        for line in process.stdout:
            lines.append(line)
            if "Fake X API v2 on" in line:
                break
        assert f"http://127.0.0.1:{port}" in lines[-1], "".join(lines)
        assert any(DEMO_APP_TOKEN in line for line in lines)
        response = call(f"http://127.0.0.1:{port}", "GET", f"/2/users/{DEMO_BRAND_ID}/mentions", DEMO_APP_TOKEN)
        assert response.status == 200 and response.json()["meta"]["result_count"] == 4
    finally:
        process.terminate()
        process.wait(timeout=10)
