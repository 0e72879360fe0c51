"""Widgets in a real browser: a brand page on another origin embeds every widget type; a site not on
the list gets nothing; hostile brand CSS does not break them; axe-core finds no serious problems."""
from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from playwright.sync_api import expect
from werkzeug.serving import make_server

from community.extensions import db
from community.models import Role, Visibility, WidgetEventCount
from community.search.upkeep import rebuild_index
from tests.web.test_forum_browser import _sign_in_browser

from .helpers import make_widget, verify

pytestmark = [pytest.mark.backends("sqlite"), pytest.mark.browser]

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
KINDS = ("solved", "latest", "search", "ask", "stats")
HOSTILE_CSS = """
div, p, ul, li, section, h2, form, input { display: none !important; }
a { color: rgb(255, 0, 0) !important; font-size: 2px !important; }
parley-widget { visibility: hidden; }
"""


class BrandSite:
    """A static brand page served from its own origin on 127.0.0.1."""

    def __init__(self) -> None:
        self.html = b""
        self.server = make_server("127.0.0.1", 0, self._app, threaded=True)
        self.port = self.server.server_port
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def _app(self, environ, start_response):
        start_response("200 OK", [("Content-Type", "text/html; charset=utf-8")])
        return [self.html]

    def stop(self) -> None:
        self.server.shutdown()


@pytest.fixture
def brand_world(app, live_server, make_category, make_thread):
    public = make_category(name="Help")
    solved = make_thread(category=public, title="Router reboots nightly", body="It restarts at **2 am**.")
    verify(solved)
    make_thread(category=public, title="Printer offline after update")
    secret = make_thread(category=make_category(visibility=Visibility.members), title="Secret members printer")
    verify(secret)
    rebuild_index()
    site = BrandSite()
    origin = f"http://127.0.0.1:{site.port}"
    widgets = {kind: make_widget(kind, origins=origin) for kind in KINDS}
    site.html = _page(live_server.url, [w.id for w in widgets.values()])
    yield site, widgets, solved
    site.stop()


def _page(community_url: str, widget_ids: list[int]) -> bytes:
    scripts = "\n".join(
        f'<script async src="{community_url}/embed.js" data-parley-widget="{wid}"></script>' for wid in widget_ids
    )
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Brand home</title>'
        f"<style>{HOSTILE_CSS}</style></head><body><main><h1>Welcome to Brand</h1>{scripts}</main></body></html>"
    ).encode()


def _region(page, name: str):
    return page.get_by_role("region", name=name)


def test_every_widget_renders_on_the_allowed_site_and_nothing_elsewhere(live_server, page, brand_world):
    site, widgets, solved = brand_world
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"http://127.0.0.1:{site.port}/")

    solved_box = _region(page, "Solved questions")
    expect(solved_box.get_by_role("link", name="Router reboots nightly")).to_be_visible()
    expect(solved_box.get_by_text("Verified answer")).to_be_visible()
    expect(_region(page, "Latest discussions").get_by_role("link", name="Printer offline after update")).to_be_visible()
    expect(_region(page, "Community stats")).to_contain_text("% of questions answered")
    expect(_region(page, "Ask the community").get_by_role("button", name="Ask")).to_be_visible()
    assert "Secret" not in page.locator("parley-widget").all_inner_texts().__str__()

    # Hostile brand CSS stays outside the shadow roots.
    link = solved_box.get_by_role("link", name="Router reboots nightly")
    assert link.evaluate("a => getComputedStyle(a).color") != "rgb(255, 0, 0)"
    assert link.evaluate("a => parseFloat(getComputedStyle(a).fontSize)") > 10

    search_box = _region(page, "Search the community")
    search_box.get_by_role("searchbox").fill("printer")
    result = search_box.locator("[aria-live=polite]").get_by_role("link", name="Printer offline after update")
    expect(result).to_be_visible()
    expect(search_box.locator("[aria-live=polite]")).not_to_contain_text("Secret")
    expect(search_box.get_by_role("link", name="See all results")).to_have_attribute(
        "href", f"{live_server.url}/search?q=printer")

    with page.context.expect_page() as popup_info:
        ask = _region(page, "Ask the community")
        ask.get_by_role("textbox").fill("Why is my modem blinking?")
        ask.get_by_role("button", name="Ask").click()
    popup = popup_info.value
    popup.wait_for_load_state()
    assert popup.url.startswith(f"{live_server.url}/") and "modem" in popup.url.replace("+", " ").replace("%20", " ")
    popup.close()

    link.click()
    page.wait_for_url(f"{live_server.url}/t/{solved.id}-*")
    expect(page.get_by_role("heading", name="Router reboots nightly")).to_be_visible()
    assert errors == []

    # Analytics arrived, keyed by the brand's origin, with no visitor data.
    origin = f"http://127.0.0.1:{site.port}"
    deadline = time.monotonic() + 5
    kinds: set[str] = set()
    while time.monotonic() < deadline and not {"impression", "click", "search", "ask"} <= kinds:
        db.session.expire_all()
        kinds = {row.kind for row in db.session.query(WidgetEventCount).filter_by(origin=origin)}
        time.sleep(0.1)
    assert {"impression", "click", "search", "ask"} <= kinds

    # The same page from an origin not on the list: nothing renders, nothing leaks.
    page.goto(f"http://localhost:{site.port}/")
    page.wait_for_timeout(700)
    assert page.locator("parley-widget").count() == 0
    assert "Router reboots" not in page.content()


def _serious(violations: list[dict]) -> list[str]:
    return [f"{v['id']}: {v['help']}" for v in violations if v["impact"] in ("serious", "critical")]


def test_axe_on_brand_page_and_widgets_admin_page(app, live_server, browser, brand_world, make_user):
    if not AXE.exists():
        pytest.fail("axe-core is missing: run `make node-deps` (npm ci)")
    site, widgets, _solved = brand_world
    context = browser.new_context(bypass_csp=True)
    page = context.new_page()
    try:
        page.goto(f"http://127.0.0.1:{site.port}/")
        expect(_region(page, "Solved questions").get_by_role("link").first).to_be_visible()
        page.add_script_tag(path=str(AXE))
        violations = page.evaluate("axe.run(document, {resultTypes: ['violations']}).then(r => r.violations)")
        assert _serious(violations) == []

        _sign_in_browser(page, live_server, app, make_user(role=Role.marketer))
        for path in ("/widgets/", f"/widgets/{widgets['solved'].id}", "/widgets/new"):
            page.goto(f"{live_server.url}{path}")
            if path == f"/widgets/{widgets['solved'].id}":  # the live preview renders on our own origin
                expect(_region(page, "Solved questions").get_by_role("link").first).to_be_visible()
            page.add_script_tag(path=str(AXE))
            violations = page.evaluate("axe.run(document, {resultTypes: ['violations']}).then(r => r.violations)")
            assert _serious(violations) == [], path
    finally:
        context.close()
