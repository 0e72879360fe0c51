"""notifications.js in Chromium, under the real CSP and CSRF: mark read in place, and opening a
notification marks it read."""
import pytest
from playwright.sync_api import expect

from community.services import notifications

from .test_forum_browser import _sign_in_browser

pytestmark = [pytest.mark.backends("sqlite"), pytest.mark.browser]


def test_mark_read_in_place_and_opening_marks_read(app, live_server, page, make_user, make_thread, make_post):
    owner = make_user()
    thread = make_thread(author=owner, title="Badge reader beeps twice")
    for body in ("Check the battery", "Reset the controller"):
        post = make_post(thread=thread, body=body)
        notifications.handle_event("post_created", thread.id, post.id, post.author_id)
    problems = []
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    _sign_in_browser(page, live_server, app, owner)

    page.goto(f"{live_server.url}/notifications")
    assert page.locator(".notification-bell [data-unread-count]").inner_text() == "2"
    items = page.locator("li[data-notification]")
    items.nth(1).get_by_role("button", name="Mark read").click()
    expect(page.locator(".notification-bell [data-unread-count]")).to_have_text("1")
    assert page.url.endswith("/notifications")  # stayed on the page
    expect(items.nth(1)).not_to_have_class("notification notification-unread")
    assert notifications.unread_count(owner) == 1

    items.nth(0).locator(".notification-link").click()
    page.wait_for_url(f"**/t/{thread.id}*")
    page.goto(f"{live_server.url}/notifications")
    assert page.locator(".notification-bell [data-unread-count]").count() == 0
    assert notifications.unread_count(owner) == 0
    assert problems == []
