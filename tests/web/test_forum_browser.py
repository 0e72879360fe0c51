"""composer.js in Chromium, under the real CSP and CSRF: live preview and the Quote button."""
import re

import pytest

from community.services import threads

pytestmark = [pytest.mark.backends("sqlite"), pytest.mark.browser]


def _sign_in_browser(page, live_server, app, user):
    """Put a signed session cookie for `user` into the browser (the sign-in form belongs to auth)."""
    from flask.sessions import SecureCookieSessionInterface

    serializer = SecureCookieSessionInterface().get_signing_serializer(app)
    cookie = serializer.dumps({"_user_id": user.get_id(), "_fresh": True})
    page.context.add_cookies([{"name": app.config.get("SESSION_COOKIE_NAME", "session"), "value": cookie, "url": live_server.url}])


def test_live_preview_and_quote_button(app, live_server, page, make_user, make_category):
    author = make_user(username="original_poster")
    thread = threads.create_thread(author, make_category().id, "Printer jams", "It jams on **page two**.")
    _sign_in_browser(page, live_server, app, make_user())
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{live_server.url}/t/{thread.id}-{thread.slug}")

    reply_box = page.locator("#reply textarea")
    reply_box.fill("Try **this** <script>alert(1)</script>")
    preview = page.locator("#reply [data-preview-output]")
    preview.locator("strong").wait_for()
    assert preview.inner_html().startswith("<p>Try <strong>this</strong> &lt;script&gt;")

    page.locator("a.quote-link").first.click()
    from playwright.sync_api import expect

    expect(reply_box).to_have_value(re.compile("quote from"))
    value = reply_box.input_value()
    assert f"> [quote from @original_poster](/p/{thread.last_post_id})" in value
    assert "> It jams on **page two**." in value and value.startswith("Try **this**")
    assert errors == []
