"""The account pages in a real browser, with CSRF on: sign up, settings, sign out, sign in."""
import pytest
from playwright.sync_api import expect

from tests.mailbox import wait_for_outbox

pytestmark = [pytest.mark.backends("sqlite"), pytest.mark.browser]


def test_sign_up_settings_sign_out_and_sign_in_in_a_browser(app, live_server, page, tmp_path):
    errors = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.goto(f"{live_server.url}/sign-up")
    page.get_by_label("Email address").fill("ada@example.com")
    page.get_by_label("Display name").fill("Ada Lovelace")
    page.get_by_label("Password").fill("short")
    page.get_by_role("button", name="Create account").click()
    # The click returns before the form's response arrives: wait for the message, don't read the old page.
    expect(page.get_by_text("Use at least 10 characters")).to_be_visible()
    assert page.get_by_label("Display name").input_value() == "Ada Lovelace"

    page.get_by_label("Password").fill("analytical engine 1843")
    page.get_by_role("button", name="Create account").click()
    page.wait_for_url(f"{live_server.url}/")
    assert "We sent a confirmation link" in page.content()

    page.goto(f"{live_server.url}/settings")
    page.get_by_label("Username").fill("countess")
    page.get_by_role("button", name="Save profile").click()
    expect(page.get_by_text("Your profile is saved")).to_be_visible()
    page.screenshot(path=str(tmp_path / "settings.png"), full_page=True)

    page.get_by_role("button", name="Sign out").click()
    page.goto(f"{live_server.url}/sign-in?next=/u/countess")
    page.get_by_label("Email address").fill("ADA@example.com")
    page.get_by_label("Password").fill("analytical engine 1843")
    page.get_by_label("Keep me signed in on this device").check()
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server.url}/u/countess")
    assert "Ada Lovelace" in page.content()
    assert any(cookie["name"] == "remember_token" for cookie in page.context.cookies())
    assert not [e for e in errors if "Content Security Policy" in e]
    assert len(wait_for_outbox(app, 1)) == 1
