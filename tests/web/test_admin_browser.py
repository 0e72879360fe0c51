"""Admin forms in Chromium against the live server (CSRF on, CSP on): branding and a category."""
import io

import pytest
from PIL import Image

pytestmark = [pytest.mark.backends("sqlite"), pytest.mark.browser]


def _sign_in_browser(app, page, live_server, user) -> None:
    # Sign-in has its own browser tests; here a signed session cookie is enough.
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session["_fresh"] = True
    cookie = client.get_cookie(app.config.get("SESSION_COOKIE_NAME", "session"))
    page.context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_server.url}])


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 32), (200, 0, 0)).save(out, format="PNG")
    return out.getvalue()


def test_admin_changes_branding_and_adds_a_category_in_the_browser(app, live_server, page, make_user):
    _sign_in_browser(app, page, live_server, make_user(role="admin"))
    refused, failed = [], []
    page.on("console", lambda message: refused.append(message.text) if "Refused" in message.text else None)
    page.on("response", lambda response: failed.append(response.url) if response.status >= 400 else None)

    page.goto(live_server.url + "/admin/settings")
    page.fill("#f-name", "Browser Brand")
    page.fill("#f-primary_color", "#aa0000")
    page.fill("#f-footer-label-1", "Status")
    page.fill("#f-footer-url-1", "https://status.example.com")
    page.set_input_files("#f-logo", files=[{"name": "logo.png", "mimeType": "image/png", "buffer": _png()}])
    page.click("text=Save branding")
    assert page.locator(".flash").inner_text() == "Branding saved."

    page.goto(live_server.url + "/")
    assert page.locator(".brand-name").inner_text() == "Browser Brand"
    border = page.eval_on_selector(".site-header", "el => getComputedStyle(el).borderBottomColor")
    assert border == "rgb(170, 0, 0)"
    assert page.eval_on_selector(".brand-logo", "img => img.naturalWidth") == 64
    assert page.locator(".site-footer a", has_text="Status").get_attribute("href") == "https://status.example.com"

    page.goto(live_server.url + "/admin/categories/new")
    page.fill("#f-name", "Outages")
    page.select_option("#f-visibility", "members")
    page.click("text=Create category")
    assert "Category “Outages” created." in page.locator(".flash").inner_text()
    assert page.locator("table.admin-table code", has_text="outages").count() == 1
    assert refused == []  # nothing blocked by the CSP (no inline styles or scripts)
    assert [url for url in failed if not url.endswith("/favicon.ico")] == []
