"""In Chromium: the widgets page previews unsaved settings live, and the iframe mode searches live
from a brand page on another origin."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from community.extensions import db
from community.models import Role, Visibility, Widget
from community.search.upkeep import rebuild_index
from tests.web.test_forum_browser import _sign_in_browser

from .helpers import make_widget, verify
from .test_widgets_browser import BrandSite

pytestmark = [pytest.mark.backends("sqlite"), pytest.mark.browser]


@pytest.fixture
def content(make_category, make_thread):
    public = make_category(name="Help")
    verify(make_thread(category=public, title="Router reboots nightly"))
    make_thread(category=public, title="Printer offline after update")
    make_thread(category=make_category(visibility=Visibility.members), title="Secret members printer")
    rebuild_index()


def test_preview_follows_the_unsaved_form(app, live_server, page, make_user, content):
    _sign_in_browser(page, live_server, app, make_user(role=Role.marketer))
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{live_server.url}/widgets/new")
    preview = page.locator("[data-widget-preview]")
    expect(preview.get_by_role("region", name="Solved questions").get_by_role("link", name="Router reboots nightly")).to_be_visible()

    page.get_by_label("Type").select_option("latest")
    latest = preview.get_by_role("region", name="Latest discussions")
    expect(latest.get_by_role("link", name="Printer offline after update")).to_be_visible()
    page.get_by_label("Theme").select_option("dark")
    expect(preview.locator("section.pw-theme-dark")).to_have_count(1)

    page.get_by_label("Type").select_option("search")
    search = preview.get_by_role("region", name="Search the community")
    search.get_by_role("searchbox").fill("printer")
    expect(search.locator("[aria-live=polite]").get_by_role("link", name="Printer offline after update")).to_be_visible()
    expect(search.locator("[aria-live=polite]")).not_to_contain_text("Secret")

    page.get_by_label("Number of items").fill("0")
    expect(page.locator("[data-preview-status]")).to_contain_text("correct")
    assert errors == []
    db.session.expire_all()
    assert db.session.query(Widget).count() == 0  # previewing never saves


def test_iframe_search_is_live_on_the_brand_site(live_server, page, content):
    site = BrandSite()
    try:
        origin = f"http://127.0.0.1:{site.port}"
        widget = make_widget("search", origins=origin)
        site.html = (
            '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Brand</title></head><body>'
            f'<iframe src="{live_server.url}/embed/w/{widget.id}/frame" title="Community search" width="600" '
            'height="400"></iframe></body></html>'
        ).encode()
        errors: list[str] = []
        page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
        page.goto(f"{origin}/")
        frame = page.frame_locator("iframe[title='Community search']")
        frame.get_by_role("searchbox").fill("printer")
        results = frame.locator("[data-frame-results]")
        expect(results.get_by_role("link", name="Printer offline after update")).to_be_visible()
        expect(results).to_contain_text("1")
        expect(results).not_to_contain_text("Secret")
        assert errors == []  # in particular, no CSP refusals
    finally:
        site.stop()
