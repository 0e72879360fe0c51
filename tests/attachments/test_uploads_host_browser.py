"""The uploads host in Chromium: the thread page on 127.0.0.1 shows its image and lightbox from the
cookieless uploads host (localhost, another origin on the same server) under the page's real CSP,
and the browser sends that host no cookie and gets none."""
from __future__ import annotations

import io
from pathlib import Path

import pytest
from playwright.sync_api import expect

from community.attachments import service
from community.services import threads
from tests.web.test_forum_browser import _sign_in_browser

from .helpers import png
from .test_attachments_browser import _wait_loaded

pytestmark = [pytest.mark.backends("sqlite"), pytest.mark.browser]
SHOTS = Path("/tmp/attach-shots")


def test_the_thread_shows_images_from_the_uploads_host_without_cookies(app, live_server, page, make_user, make_category):
    SHOTS.mkdir(exist_ok=True)
    files_host = f"localhost:{live_server.port}"
    app.config["UPLOADS_HOST"] = files_host  # read per request; the port is known only now
    author = make_user()
    sent = service.upload(author, "screen.png", io.BytesIO(png((800, 400))))
    thread = threads.create_thread(author, make_category().id, "Printer offline", f"See ![screen](attachment:{sent.id})")
    seen, problems = [], []
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.on("requestfinished", lambda request: seen.append(request) if files_host in request.url else None)
    _sign_in_browser(page, live_server, app, make_user())
    page.goto(f"{live_server.url}/t/{thread.id}-{thread.slug}")

    _wait_loaded(page, "a.attachment-image img")
    page.locator("a.attachment-image").first.click()
    _wait_loaded(page, "dialog.lightbox img")
    assert page.locator("dialog.lightbox img").evaluate("img => img.naturalWidth") == 800
    page.screenshot(path=str(SHOTS / "uploads-host-lightbox.png"))

    paths = sorted(request.url.split(files_host, 1)[1].split("?")[0] for request in seen)
    assert paths == [f"/attachments/{sent.id}/screen.png", f"/attachments/{sent.id}/thumbnail"]
    for request in seen:
        response = request.response()
        assert response.status == 200 and "cookie" not in request.all_headers()
        assert "set-cookie" not in response.all_headers()
        assert response.all_headers()["cross-origin-resource-policy"] == "cross-origin"
    assert problems == []  # no CSP or CORP refusal on the way
