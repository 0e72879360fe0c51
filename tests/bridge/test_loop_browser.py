"""Done when (issue #8): the whole X loop in Chromium against the fake X on 127.0.0.1.

A complaint mention arrives on the fake, a poll ingests it, it shows in the triage inbox, staff
invite, the invite reply appears on the fake, the customer lands, signs up, confirms the email,
links the account with Log in with X, and posts; staff verify an answer and send the solved
follow-up; the fake then shows exactly two replies from the brand.
"""
from __future__ import annotations

import re
import time

import httpx
import pytest
from sqlalchemy import select

from community.extensions import db
from community.models import BridgeAccountLink, BridgeCase, BridgeOutbound, CaseStatus, Thread
from community.bridge import ingest as bridge_ingest
from tests.mailbox import LINK, text_body, wait_for_outbox
from tests.web.test_forum_browser import _sign_in_browser

from .conftest import BRAND_ID, CUSTOMER_ID

pytestmark = [pytest.mark.backends("sqlite"), pytest.mark.browser]

COMPLAINT = "@acmehelp my invoice shows the wrong VAT number and support chat is closed. Who can fix it?"
ANSWER = "Sorry about that! We corrected the VAT number; the new invoice is under Billing > Invoices."
JOIN_CLIENT_ID = "parley-loop"


def _brand_replies(fake) -> list[dict]:
    posts = httpx.get(f"{fake.url}/_control/posts", params={"via_api": "1"}, timeout=5).json()["posts"]
    return [post for post in posts if post["author_id"] == BRAND_ID]


def _wait_for_brand_replies(fake, count: int, timeout: float = 15.0) -> list[dict]:
    """The outbox posts from a job that runs after the response; wait for it to reach the fake."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        replies = _brand_replies(fake)
        if len(replies) >= count:
            return replies
        time.sleep(0.2)
    raise AssertionError(f"expected {count} brand replies on the fake X, found {_brand_replies(fake)}")


def _point_app_at(app, live_server, fake) -> None:
    state = fake.state
    state.add_user("acmehelp", "Acme Help", BRAND_ID)
    state.add_user("jo_customer", "Jo Customer", CUSTOMER_ID)
    brand_tokens = state.issue_user_tokens(BRAND_ID)
    state.add_client(JOIN_CLIENT_ID, f"{live_server.url}/join/x/callback")
    state.authorize_user_id = CUSTOMER_ID  # the person in the browser is signed in to X as the author
    app.config.update(
        BASE_URL=live_server.url, X_API_BASE_URL=fake.url, X_BEARER_TOKEN=state.add_app_token(),
        X_BRAND_USER_ID=BRAND_ID, X_BRAND_HANDLE="acmehelp", X_CLIENT_ID=JOIN_CLIENT_ID,
        X_USER_ACCESS_TOKEN=brand_tokens["access_token"], X_USER_REFRESH_TOKEN=brand_tokens["refresh_token"],
    )


def _case_card(page, text: str):
    return page.locator("li.bridge-case", has_text=text)


def test_mention_to_invite_to_thread_to_public_follow_up(app, live_server, browser, fake_x, make_user,
                                                          make_category):
    _point_app_at(app, live_server, fake_x)
    category = make_category(name="Billing")
    staff = make_user(role="staff", display_name="Sara Staff")

    # A complaint mention arrives on X and one poll ingests it.
    created = httpx.post(f"{fake_x.url}/_control/posts", json={"author_id": CUSTOMER_ID, "text": COMPLAINT}, timeout=5)
    complaint_id = created.json()["id"]
    counts = bridge_ingest.poll_once()
    assert counts["mentions"].stored == 1

    # Staff see it in the triage inbox and invite.
    staff_page = browser.new_context().new_page()
    staff_page.set_default_timeout(10_000)
    _sign_in_browser(staff_page, live_server, app, staff)
    staff_page.goto(f"{live_server.url}/staff/bridge")
    card = _case_card(staff_page, "wrong VAT number")
    assert "@jo_customer" in card.inner_text() and "summoned" in card.inner_text()
    card.get_by_role("button", name="Invite", exact=True).click()
    staff_page.wait_for_load_state()

    # The invite reply appears on the fake X, in reply to the complaint, with a /join link.
    [invite] = _wait_for_brand_replies(fake_x, 1)
    assert invite["in_reply_to_tweet_id"] == complaint_id
    join_url = re.search(r"http://127\.0\.0\.1:\d+/join/[A-Za-z0-9_-]+", invite["text"]).group(0)

    # The customer lands, signs up, and links the account with Log in with X.
    customer = browser.new_context().new_page()
    customer.set_default_timeout(10_000)
    customer.goto(join_url)
    assert "wrong VAT number" in customer.locator("[data-original-post]").inner_text()
    customer.locator("[data-join-sign-up]").click()
    customer.get_by_label("Email address").fill("jo@example.com")
    customer.get_by_label("Display name").fill("Jo Customer")
    customer.get_by_label("Password").fill("a long enough passphrase 42")
    customer.get_by_role("button", name="Create account").click()
    customer.wait_for_url(join_url)
    customer.get_by_label(re.compile("When this is solved")).check()
    customer.locator("[data-join-verify]").click()
    customer.locator("[data-x-authorize]").click()  # the fake X approves as the author and sends us back

    # A new account confirms its email first; the composer then waits with the complaint in it.
    customer.wait_for_selector("[data-join-confirm]")
    [mail] = wait_for_outbox(app, 1, to="jo@example.com")
    customer.goto(LINK.search(text_body(mail)).group(0))
    customer.get_by_role("button", name="Confirm my email").click()
    customer.goto(f"{join_url}/thread")
    assert "verified" == customer.locator("[data-x-link]").get_attribute("data-x-link")
    assert "wrong VAT number" in customer.get_by_label("Your question or topic").input_value()
    customer.locator("#category").select_option(str(category.id))
    customer.get_by_label("Title").fill("Wrong VAT number on my invoice")
    customer.get_by_role("button", name="Post thread").click()
    customer.wait_for_url("**/t/*")
    thread_url = customer.url

    db.session.expire_all()
    case = db.session.scalar(select(BridgeCase))
    thread = db.session.scalar(select(Thread).where(Thread.title == "Wrong VAT number on my invoice"))
    assert case.linked_thread_id == thread.id and case.status == CaseStatus.linked
    assert db.session.scalar(select(BridgeAccountLink.verified)) is True
    assert case.landed_at <= case.joined_at <= case.thread_posted_at == thread.created_at

    # Staff answer, verify the answer, and tell the public it's solved.
    staff_page.goto(thread_url)
    staff_page.locator("#reply textarea").fill(ANSWER)
    # Each form post is awaited as a navigation: wait_for_load_state() alone can return before the
    # POST is answered, and the next goto() then cancels it (the follow-up was refused, unverified).
    with staff_page.expect_navigation():
        staff_page.locator("#reply").get_by_role("button", name="Post reply").click()
    with staff_page.expect_navigation():
        staff_page.locator("article.post").last.get_by_role("button", name="Verify answer").click()
    staff_page.goto(f"{live_server.url}/staff/bridge?status=all")
    with staff_page.expect_navigation():
        _case_card(staff_page, "wrong VAT number").get_by_role("button", name="Tell the public it's solved").click()

    _wait_for_brand_replies(fake_x, 2)
    db.session.expire_all()
    # Every outbound row has reached its end state, so nothing else is on its way: exactly two.
    assert sorted(row.state.value for row in db.session.scalars(select(BridgeOutbound))) == ["sent", "sent"]
    replies = _brand_replies(fake_x)
    assert len(replies) == 2
    assert all(reply["in_reply_to_tweet_id"] == complaint_id for reply in replies)
    assert f"/t/{thread.id}" in replies[1]["text"] and "/join/" not in replies[1]["text"]
