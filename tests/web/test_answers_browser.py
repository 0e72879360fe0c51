"""answers.js in Chromium under the real CSP and CSRF: "same problem" and "helpful" update in place."""
import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from community.extensions import db
from community.models import HelpfulVote, SameProblem
from community.services import posts, threads
from tests.web.test_forum_browser import _sign_in_browser

pytestmark = [pytest.mark.backends("sqlite"), pytest.mark.browser]


def test_same_problem_and_helpful_update_counts_without_reloading(app, live_server, page, make_user, make_category):
    asker, helper = make_user(), make_user()
    thread = threads.create_thread(asker, make_category().id, "Screen flickers", "Since the update.")
    reply = posts.create_reply(helper, thread.id, "Lower the refresh rate.")
    _sign_in_browser(page, live_server, app, make_user())
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{live_server.url}/t/{thread.id}-{thread.slug}")
    url_before = page.url

    page.get_by_role("button", name="I have this problem too").click()
    expect(page.locator('[data-count-for="same-problem"]')).to_have_text("1")
    helpful = page.locator(f"#post-{reply.id} form[data-answers-toggle=helpful]")
    helpful.get_by_role("button", name="Helpful").click()
    expect(helpful.locator('[data-count-for="helpful"]')).to_have_text("1")
    expect(helpful.get_by_role("button", name="Helpful")).to_have_attribute("aria-pressed", "true")

    assert page.url == url_before and errors == []
    assert db.session.scalar(select(func.count()).select_from(SameProblem)) == 1
    assert db.session.scalar(select(func.count()).select_from(HelpfulVote)) == 1
