"""header_search.js in Chromium under the real CSP: results as you type, the combobox keys, the "/"
shortcut, and the search page's corrected results."""
from __future__ import annotations

import re

import pytest

pytestmark = [pytest.mark.backends("sqlite"), pytest.mark.browser]


def _sign_in_browser(page, live_server, app, user):
    from flask.sessions import SecureCookieSessionInterface

    serializer = SecureCookieSessionInterface().get_signing_serializer(app)
    cookie = serializer.dumps({"_user_id": user.get_id(), "_fresh": True})
    page.context.add_cookies([{"name": app.config.get("SESSION_COOKIE_NAME", "session"), "value": cookie, "url": live_server.url}])


@pytest.fixture
def world(app, make_user, make_category, make_thread):
    """Made before the live server starts: jobs (indexing) still run at once, in this thread."""
    category = make_category(name="Security")
    wanted = make_thread(category=category, title="Renew the TLS certificate <b>before</b> expiry", body="Steps inside.")
    make_thread(category=category, title="Certificate pinning on mobile", body="Other words.")
    return {"wanted": wanted, "reader": make_user()}


def test_header_search_as_you_type_keys_shortcut_and_corrected_results(app, world, live_server, page):
    from playwright.sync_api import expect

    wanted = world["wanted"]
    _sign_in_browser(page, live_server, app, world["reader"])
    problems = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)

    # "/" never steals a key typed into a field; outside fields it focuses the header search.
    page.goto(f"{live_server.url}/t/{wanted.id}-{wanted.slug}")
    reply = page.locator("#reply textarea")
    reply.click()
    page.keyboard.type("a/b")
    expect(reply).to_have_value("a/b")
    field = page.locator("#header-search-q")
    expect(field).not_to_be_focused()
    page.locator("h1").click()
    page.keyboard.press("/")
    expect(field).to_be_focused()
    expect(field).to_have_value("")

    # Results as you type: a listbox of options, the title as text, "See all" last.
    page.keyboard.type("certif")
    listbox = page.locator("#header-search-results")
    expect(listbox).to_be_visible()
    expect(field).to_have_attribute("aria-expanded", "true")
    options = listbox.locator("[role=option]")
    expect(options).to_have_count(3)
    expect(options.last).to_have_text("See all results for “certif”")
    expect(listbox.locator("b")).to_have_count(0)  # the index's text went in as text
    expect(listbox).to_contain_text("<b>before</b>")
    page.keyboard.press("Escape")
    expect(listbox).to_be_hidden()
    expect(field).to_have_attribute("aria-expanded", "false")
    page.keyboard.press("ArrowDown")
    expect(listbox).to_be_visible()
    expect(options.first).to_have_attribute("aria-selected", "true")
    first_id = options.first.get_attribute("id")
    expect(field).to_have_attribute("aria-activedescendant", first_id)
    chosen = options.first.locator(".header-search-title").inner_text()
    page.keyboard.press("ArrowUp")
    expect(options.last).to_have_attribute("aria-selected", "true")
    page.keyboard.press("ArrowDown")
    expect(options.first).to_have_attribute("aria-selected", "true")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert re.search(r"/t/\d+-", page.url), page.url
    expect(page.locator("h1")).to_have_text(chosen)

    # A typo on the results page: the corrected query's results, and a link back to the original.
    page.goto(f"{live_server.url}/search?q=certifcate")
    corrected = page.locator(".search-corrected")
    expect(corrected).to_have_text(re.compile(r"Showing results for certificate; search instead for\s+certifcate"))
    expect(corrected.locator("a")).to_have_attribute("href", "/search?q=certifcate&exact=1")
    expect(page.locator(".search-results > li")).to_have_count(2)
    corrected.locator("a").click()
    expect(page.locator(".did-you-mean")).to_contain_text("Did you mean")
    expect(page.locator(".search-results")).to_have_count(0)
    assert problems == []
