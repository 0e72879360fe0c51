"""A new customer's first visit, end to end in Chromium with CSRF and the CSP on: sign up, open the
verification mail from the captured outbox, verify, start a thread, reply, edit, see the revision."""
import pytest
from playwright.sync_api import expect

from tests.mailbox import link_path, wait_for_outbox

pytestmark = [pytest.mark.backends("sqlite"), pytest.mark.browser]


def test_new_customer_signs_up_verifies_posts_replies_and_edits(
    app, live_server, page, make_category, make_thread, tmp_path
):
    category = make_category(name="Getting Started", description="New here? Start with these.")
    earlier = make_thread(category=category, title="Rotating an API key breaks our integration")
    blocked = []
    page.on("console", lambda message: blocked.append(message.text) if "Content Security Policy" in message.text else None)
    page.on("dialog", lambda dialog: blocked.append(f"dialog: {dialog.message}"))

    page.goto(f"{live_server.url}/sign-up")
    page.get_by_label("Email address").fill("grace@example.com")
    page.get_by_label("Display name").fill("Grace Hopper")
    page.get_by_label("Password").fill("compiler cobol 1959")
    page.get_by_role("button", name="Create account").click()
    page.wait_for_url(f"{live_server.url}/")

    mails = wait_for_outbox(app, 1)
    assert mails, "no verification mail arrived in the outbox"
    verification = mails[-1]
    assert verification["To"] == "grace@example.com"
    page.goto(live_server.url + link_path(verification))
    page.get_by_role("button", name="Confirm my email").click()
    expect(page.locator("main")).to_contain_text("confirmed", ignore_case=True)  # the next page, once loaded

    page.goto(f"{live_server.url}/new")
    page.get_by_label("Category").select_option(label="Getting Started")
    page.get_by_label("Title").fill("How do I rotate my API key without downtime?")
    suggestion = page.locator("[data-similar-list] a").first
    suggestion.wait_for()
    assert earlier.title in suggestion.inner_text()
    page.get_by_label("Your question or topic").fill("Our integration breaks for a minute whenever we rotate the key.")
    page.get_by_role("button", name="Post thread").click()
    page.wait_for_url("**/t/*")
    thread_url = page.url
    assert "How do I rotate my API key without downtime?" in page.content()

    page.locator("#reply textarea").fill("Update: it happens with **both** keys.")
    page.locator("#reply").get_by_role("button", name="Post reply").click()
    page.wait_for_load_state()
    reply = page.locator("article.post").last
    assert "both" in reply.inner_text()
    assert reply.locator("strong").inner_text() == "both"

    reply.get_by_role("link", name="Edit").click()
    page.get_by_label("Post", exact=True).fill("Update: it happens with **both** keys, on staging too.")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(f"{thread_url.split('?')[0]}*")
    assert "on staging too" in page.content()

    page.locator("article.post").last.get_by_role("link", name="edited").click()
    revision_text = page.locator("main").inner_text()
    assert "on staging too" in revision_text and "Grace Hopper" in revision_text
    page.screenshot(path=str(tmp_path / "revisions.png"), full_page=True)
    assert blocked == []
