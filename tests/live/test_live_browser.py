"""Live updates in Chromium: a second member's reply appears as "1 new reply, Show" without moving
the page, the bell counts it and opens its dropdown; the polling fallback does the same; an edit
replaces the post in place in the other reader's page; a new thread brings the staff inbox's
"1 new item" bar; and the states (bar shown, dropdown open) pass axe at both widths and the Nu
Html Checker. Every wait is on the element (expect), never a sleep: the event may come at any time."""
from __future__ import annotations

import re
import shutil

import pytest
from playwright.sync_api import expect

from community.extensions import db
from community.models import Follow, Post
from community.services import threads
from tests.web import quality
from tests.web.test_forum_browser import _sign_in_browser

pytestmark = pytest.mark.browser

AXE_RUN = ("axe.configure({noHtml: true}), "
           "axe.run(document, {resultTypes: ['violations']}).then(r => r.violations)")


@pytest.fixture
def app_overrides():
    return {"LIVE_STREAM_SECONDS": 30, "LIVE_POLL_SECONDS": 1}


def _reader_and_writer(app, browser, live_server, make_user, make_category, poll: bool = False):
    reader, writer = make_user(display_name="Rita Reader"), make_user(display_name="Walt Writer")
    thread = threads.create_thread(reader, make_category().id, "Sync stops after an hour", "It stops **every** hour.")
    if not db.session.query(Follow).filter_by(thread_id=thread.id, user_id=reader.id).count():
        db.session.add(Follow(thread_id=thread.id, user_id=reader.id))
        db.session.commit()
    pages = []
    for user in (reader, writer):
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        context.add_init_script(path=str(quality.AXE))
        if poll and user is reader:
            context.add_init_script("window.parleyLivePoll = true;")
        page = context.new_page()
        page.set_default_timeout(10_000)
        _sign_in_browser(page, live_server, app, user)
        page.goto(f"{live_server.url}/t/{thread.id}-{thread.slug}")
        pages.append(page)
    return thread, pages


def _reply(page, text: str) -> None:
    page.locator("#reply textarea").fill(text)
    page.locator("#reply").get_by_role("button", name="Post reply").click()
    page.wait_for_load_state()


def _axe(page) -> dict:
    found = {}
    for name, width in quality.WIDTHS.items():
        page.set_viewport_size({"width": width, "height": quality.HEIGHT})
        found[name] = quality.compact_axe(page.evaluate(AXE_RUN))
    page.set_viewport_size({"width": 1280, "height": quality.HEIGHT})
    return found


def test_a_reply_appears_live_and_the_bell_counts_it(app, browser, live_server, make_user, make_category, tmp_path):
    thread, (reader, writer) = _reader_and_writer(app, browser, live_server, make_user, make_category)
    errors = []
    reader.on("pageerror", lambda error: errors.append(str(error)))
    expect(reader.locator(".notification-bell")).to_have_attribute("aria-expanded", "false")
    reader.wait_for_function("() => window.parleyLive && window.parleyLive.mode === 'stream'")
    scrolled = reader.evaluate("window.scrollY")
    articles_before = reader.locator("article.post").count()

    _reply(writer, "Turn off the **power saver**, it sleeps the sync.")

    bar = reader.locator("[data-live-thread]")
    expect(bar).to_contain_text("1 new reply")
    assert reader.locator("article.post").count() == articles_before  # nothing moved under the reader
    assert reader.evaluate("window.scrollY") == scrolled
    expect(reader.locator(".notification-bell [data-unread-count]")).to_have_text("1")
    expect(reader.locator(".notification-bell")).to_have_attribute("aria-label", "Notifications: 1 unread")
    shots = tmp_path / "shots"
    shots.mkdir()
    saved = {"bar": reader.content()}
    bar_axe = _axe(reader)
    reader.screenshot(path=str(shots / "new-reply-bar.png"))

    bar.get_by_role("button", name="Show").click()
    new_post = reader.locator("article.post").last
    expect(new_post).to_contain_text("power saver")
    assert reader.locator("article.post").count() == articles_before + 1
    assert reader.evaluate("document.activeElement.id") == new_post.get_attribute("id")

    bell = reader.locator(".notification-bell")
    bell.click()
    panel = reader.locator("#bell-panel")
    expect(panel).to_be_visible()
    expect(bell).to_have_attribute("aria-expanded", "true")
    expect(panel.locator(".bell-unread")).to_have_count(1)
    saved["bell"] = reader.content()
    bell_axe = _axe(reader)
    reader.set_viewport_size({"width": 390, "height": 800})
    reader.screenshot(path=str(shots / "bell-open-phone.png"))
    reader.set_viewport_size({"width": 1280, "height": 900})
    reader.keyboard.press("Escape")
    expect(panel).to_be_hidden()
    assert reader.evaluate("document.activeElement.classList.contains('notification-bell')")

    bell.press("Enter")
    panel.get_by_role("button", name="Mark all read").click()
    expect(reader.locator(".notification-bell [data-unread-count]")).to_have_count(0)
    expect(panel.locator(".bell-unread")).to_have_count(0)
    assert bar_axe == {"desktop": [], "mobile": []} and bell_axe == {"desktop": [], "mobile": []}
    assert errors == []
    for name, html in saved.items():
        (tmp_path / f"{name}.html").write_text(html)
    if shutil.which("java") and quality.VNU.exists():
        assert {name: errors for name, errors in quality.run_vnu(tmp_path).items() if errors} == {}
    for page in (reader, writer):
        page.context.close()


def test_the_polling_fallback_shows_the_reply_too(app, browser, live_server, make_user, make_category):
    _thread, (reader, writer) = _reader_and_writer(app, browser, live_server, make_user, make_category, poll=True)
    reader.wait_for_function("() => window.parleyLive && window.parleyLive.mode === 'poll'")
    _reply(writer, "Polled reply about the sync.")
    expect(reader.locator("[data-live-thread]")).to_contain_text("1 new reply", timeout=8000)
    expect(reader.locator(".notification-bell [data-unread-count]")).to_have_text("1")
    for page in (reader, writer):
        page.context.close()


def _signed_in_page(browser, live_server, app, user, path: str):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.add_init_script(path=str(quality.AXE))
    page = context.new_page()
    page.set_default_timeout(10_000)
    _sign_in_browser(page, live_server, app, user)
    page.goto(live_server.url + path)
    return page


def _streaming(page) -> None:
    """Subscribed: the token's last id is taken, so any event from here on is delivered or replayed."""
    page.wait_for_function("() => window.parleyLive && window.parleyLive.mode === 'stream'")


def test_an_edit_replaces_the_post_in_place_for_the_other_reader(app, browser, live_server, make_user, make_category):
    reader, writer = make_user(display_name="Rita Reader"), make_user(display_name="Walt Writer")
    thread = threads.create_thread(reader, make_category().id, "Sync stops after an hour", "It stops every hour.")
    from community.services import posts
    reply = posts.create_reply(writer, thread.id, "Turn off the power saver.")
    pages = []
    try:
        reading = _signed_in_page(browser, live_server, app, reader, f"/t/{thread.id}-{thread.slug}")
        pages.append(reading)
        errors = []
        reading.on("pageerror", lambda error: errors.append(str(error)))
        _streaming(reading)
        reading.evaluate("window.__notReloaded = true")
        articles_before = reading.locator("article.post").count()
        post = reading.locator(f"#post-{reply.id}")
        expect(post.locator(".post-body")).to_have_text("Turn off the power saver.")

        editing = _signed_in_page(browser, live_server, app, writer, f"/p/{reply.id}/edit")
        pages.append(editing)
        editing.locator("textarea[data-markdown-input]").fill("Turn off the **power saver** and the battery optimiser.")
        editing.get_by_role("button", name="Save changes").click()
        editing.wait_for_url(re.compile(r"/t/\d+"))

        expect(post.locator(".post-body")).to_have_text("Turn off the power saver and the battery optimiser.")
        expect(post.locator(".post-body strong")).to_have_text("power saver")
        assert reading.evaluate("window.__notReloaded") is True  # replaced in place, not a reload
        assert reading.locator("article.post").count() == articles_before
        expect(reading.locator("[data-live-thread]")).to_have_text("")  # an edit is no "new reply"
        db.session.expire_all()
        assert db.session.get(Post, reply.id).edit_count == 1
        assert errors == []
    finally:
        for page in pages:
            page.context.close()


def test_the_staff_inbox_bar_appears_when_a_new_thread_arrives(app, browser, live_server, make_user, make_category):
    staff, member = make_user(role="staff", display_name="Sam Staff"), make_user(display_name="Mia Member")
    category = make_category()
    pages = []
    try:
        inbox = _signed_in_page(browser, live_server, app, staff, "/staff/inbox")
        pages.append(inbox)
        bar = inbox.locator("[data-live-staff=inbox]")
        expect(inbox.locator("#needs-response")).to_have_count(0)  # nothing waits yet
        _streaming(inbox)
        expect(bar).to_have_text("")

        asking = _signed_in_page(browser, live_server, app, member, f"/c/{category.slug}/new")
        pages.append(asking)
        asking.get_by_label("Title").fill("Invoices show the wrong VAT number")
        asking.locator("textarea[data-markdown-input]").fill("Since the March update every invoice has the old VAT number.")
        asking.get_by_role("button", name="Post thread").click()
        asking.wait_for_url(re.compile(r"/t/\d+"))

        expect(bar.locator("span")).to_have_text("1 new item")
        expect(bar).to_have_class(re.compile(r"\bis-shown\b"))
        assert _axe(inbox) == {"desktop": [], "mobile": []}
        bar.get_by_role("button", name="Show").click()
        expect(inbox.locator("#needs-response a.title")).to_have_text(["Invoices show the wrong VAT number"])
        expect(bar).to_have_text("")  # the reloaded page starts with no news
    finally:
        for page in pages:
            page.context.close()
