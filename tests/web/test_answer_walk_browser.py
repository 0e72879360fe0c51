"""The answers loop in Chromium with CSRF and the CSP on: a customer asks, another customer replies,
staff verifies, both customers see their notifications, and the thread shows solved with the
verified answer first and JSON-LD that names it."""
import json
import time

import pytest

from tests.web.test_forum_browser import _sign_in_browser

pytestmark = [pytest.mark.backends("sqlite"), pytest.mark.browser]

QUESTION = "Backups fail with a permission error since Tuesday"
ANSWER = "Your bucket policy lost the write grant; re-add the backup role."


def _signed_in_page(browser, live_server, app, user):
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(10_000)
    _sign_in_browser(page, live_server, app, user)
    return page


def _wait_for_bell(page, url, count_at_least=1, timeout=10.0):
    """Notifications are delivered by a job after the response; reload until the bell shows them."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        page.goto(url)
        bell = page.locator("[data-unread-count]")
        if bell.count() and int(bell.inner_text().rstrip("+")) >= count_at_least:
            return
        time.sleep(0.2)
    raise AssertionError("no unread notification appeared")


def test_ask_reply_verify_notify_and_show_solved(app, live_server, browser, make_user, make_category):
    category = make_category(name="Backups")
    asker = make_user(display_name="Ana Asker")
    helper = make_user(display_name="Hal Helper")
    staff = make_user(role="staff", display_name="Sara Staff")
    asker_page = _signed_in_page(browser, live_server, app, asker)
    helper_page = _signed_in_page(browser, live_server, app, helper)
    staff_page = _signed_in_page(browser, live_server, app, staff)
    csp_errors = []
    for page in (asker_page, helper_page, staff_page):
        page.on("console", lambda message: csp_errors.append(message.text) if "Content Security Policy" in message.text else None)

    asker_page.goto(f"{live_server.url}/c/{category.slug}/new")
    asker_page.get_by_label("Title").fill(QUESTION)
    asker_page.get_by_label("Your question or topic").fill("Every nightly backup stops with EACCES.")
    asker_page.get_by_role("button", name="Post thread").click()
    asker_page.wait_for_url("**/t/*")
    thread_url = asker_page.url.split("#")[0]

    helper_page.goto(thread_url)
    helper_page.locator("#reply textarea").fill(ANSWER)
    helper_page.locator("#reply").get_by_role("button", name="Post reply").click()
    helper_page.wait_for_load_state()
    reply = helper_page.locator("article.post").last
    assert "bucket policy" in reply.inner_text()

    staff_page.goto(thread_url)
    staff_page.locator("article.post").last.get_by_role("button", name="Verify answer").click()
    staff_page.wait_for_load_state()

    _wait_for_bell(asker_page, f"{live_server.url}/notifications")
    assert QUESTION in asker_page.locator("main").inner_text()
    _wait_for_bell(helper_page, f"{live_server.url}/notifications")
    assert "verified" in helper_page.locator("main").inner_text().lower()

    asker_page.goto(thread_url)
    assert asker_page.locator(".badge", has_text="Solved").count() >= 1
    solution = asker_page.locator("section#solution")
    assert "bucket policy" in solution.inner_text() and "Sara Staff" in solution.inner_text()
    assert "Staff-verified answer" in solution.inner_text()
    # Under the question: after the opening post, before every reply.
    order = asker_page.evaluate(
        """() => {
            const solution = document.querySelector('section#solution');
            const posts = [...document.querySelectorAll('article.post')];
            return posts.map(p => solution.compareDocumentPosition(p) & Node.DOCUMENT_POSITION_FOLLOWING ? 1 : 0);
        }"""
    )
    assert order == [0] + [1] * (len(order) - 1)

    structured = json.loads(asker_page.locator("script[type='application/ld+json']").inner_text())
    assert structured["@type"] == "QAPage"
    assert structured["mainEntity"]["name"] == QUESTION
    assert "bucket policy" in structured["mainEntity"]["acceptedAnswer"]["text"]
    assert csp_errors == []
