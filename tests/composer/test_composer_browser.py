"""The composer in Chromium, under the real CSP and CSRF: the toolbar, @ and # suggestions, drafts
across browser contexts, quoting a selection."""
from __future__ import annotations

import re
from contextlib import contextmanager

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from community.extensions import db
from community.models import Draft, Post
from community.services import posts, threads
from community.tags import service as tag_service
from tests.web.test_forum_browser import _sign_in_browser

pytestmark = [pytest.mark.backends("sqlite"), pytest.mark.browser]


@pytest.fixture
def scene(make_user, make_category):
    asker = make_user(username="tnowak", display_name="Tomasz Nowak")
    writer = make_user(username="writer", display_name="Wendy Writer")
    thread = threads.create_thread(asker, make_category().id, "Printer offline", "The printer says it is offline since Monday.")
    return asker, writer, thread


def _open(page, live_server, app, user, path):
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    _sign_in_browser(page, live_server, app, user)
    page.goto(live_server.url + path)
    return errors


@contextmanager
def _two_devices(browser):
    """A laptop and a phone: two contexts, two sessions of the same member."""
    laptop, phone = browser.new_context(), browser.new_context(viewport={"width": 390, "height": 800})
    try:
        yield laptop, phone
    finally:
        laptop.close()
        phone.close()


def _thread_path(thread) -> str:
    return f"/t/{thread.id}-{thread.slug}"


def test_the_toolbar_writes_markdown_at_the_selection(app, live_server, page, scene):
    _, writer, thread = scene
    errors = _open(page, live_server, app, writer, _thread_path(thread))
    box = page.locator("#reply textarea")
    box.fill("restart it")
    box.evaluate("t => t.setSelectionRange(0, 7)")  # "restart"
    page.locator("#reply [role=toolbar] button[aria-label=Bold]").click()
    expect(box).to_have_value("**restart** it")
    box.evaluate("t => t.setSelectionRange(12, 14)")  # "it"
    box.press("Control+i")
    expect(box).to_have_value("**restart** _it_")
    box.evaluate("t => t.setSelectionRange(t.value.length, t.value.length)")
    box.press("Control+k")
    expect(box).to_have_value("**restart** _it_[link text](https://)")
    assert box.evaluate("t => t.value.slice(t.selectionStart, t.selectionEnd)") == "https://"
    box.fill("first\nsecond")
    box.evaluate("t => t.setSelectionRange(0, t.value.length)")
    page.locator("#reply [role=toolbar] button[aria-label='Numbered list']").click()
    expect(box).to_have_value("1. first\n2. second")
    # One tab stop; the arrow keys walk the buttons (roving tabindex).
    first = page.locator("#reply [role=toolbar] button").first
    first.focus()
    page.keyboard.press("ArrowRight")
    assert page.evaluate("document.activeElement.getAttribute('aria-label')") == "Italic"
    assert page.locator("#reply [role=toolbar] button[tabindex='0']").count() == 1
    # The live preview sits beside the text at this width and renders what the toolbar wrote.
    expect(page.locator("#reply [data-preview-output] ol li")).to_have_count(2)
    assert errors == []


def test_at_picks_someone_by_display_name_and_the_reply_links_them(app, live_server, page, scene):
    asker, writer, thread = scene
    errors = _open(page, live_server, app, writer, _thread_path(thread))
    box = page.locator("#reply textarea")
    box.click()
    box.press_sequentially("Thanks @Tomas")
    listbox = page.locator("#reply [role=listbox]")
    option = listbox.locator("[role=option]", has_text="Tomasz Nowak")
    expect(option).to_be_visible()
    expect(option).to_have_attribute("aria-selected", "true")
    assert box.get_attribute("aria-activedescendant") == option.get_attribute("id")
    box.press("Enter")
    expect(box).to_have_value("Thanks @tnowak ")
    expect(listbox).to_be_hidden()
    box.press_sequentially("it works now")
    page.locator("#reply button[type=submit]:not([name=preview])").click()
    page.wait_for_url(re.compile(r"/t/\d+"))
    mention = page.locator("article.post").last.locator("a.mention")
    expect(mention).to_have_attribute("href", "/u/tnowak")
    assert errors == []


def test_escape_closes_the_suggestions_and_keeps_the_text(app, live_server, page, scene):
    _, writer, thread = scene
    _open(page, live_server, app, writer, _thread_path(thread))
    box = page.locator("#reply textarea")
    box.click()
    box.press_sequentially("@tno")
    expect(page.locator("#reply [role=option]")).to_have_count(1)
    box.press("Escape")
    expect(page.locator("#reply [role=listbox]")).to_be_hidden()
    expect(box).to_have_value("@tno")


def test_hash_picks_a_tag(app, live_server, page, scene, make_user):
    _, writer, thread = scene
    tag_service.add_official(make_user(role="admin"), "firmware")
    _open(page, live_server, app, writer, _thread_path(thread))
    box = page.locator("#reply textarea")
    box.click()
    box.press_sequentially("See #firm")
    option = page.locator("#reply [role=option]", has_text="#firmware")
    expect(option).to_be_visible()
    option.click()
    expect(box).to_have_value("See [#firmware](/tag/firmware) ")


def test_a_draft_typed_in_one_context_shows_up_in_another_and_goes_when_posted(app, live_server, browser, scene):
    _, writer, thread = scene
    with _two_devices(browser) as (laptop, phone):
        first = laptop.new_page()
        _open(first, live_server, app, writer, _thread_path(thread))
        first.locator("#reply textarea").fill("Half of my answer, typed on the laptop")
        expect(first.locator("#reply .draft-status")).to_have_text("Draft saved")
        second = phone.new_page()
        errors = _open(second, live_server, app, writer, _thread_path(thread))
        box = second.locator("#reply textarea")
        expect(box).to_have_value("Half of my answer, typed on the laptop")
        expect(second.locator("#reply .draft-status")).to_have_text("Draft restored")
        second.screenshot(path=str(app.instance_path) + "/../draft-phone.png")
        box.fill("Half of my answer, finished on the phone")
        second.locator("#reply button[type=submit]:not([name=preview])").click()
        second.wait_for_url(re.compile(r"/t/\d+"))
        assert db.session.scalar(select(Draft.id)) is None
        first.reload()
        expect(first.locator("#reply textarea")).to_have_value("")
        assert errors == []


def test_leaving_the_page_before_the_save_delay_still_saves_the_draft(app, live_server, page, scene):
    _, writer, thread = scene
    _open(page, live_server, app, writer, _thread_path(thread))
    page.locator("#reply textarea").fill("Typed just before closing the tab")
    page.goto(live_server.url + "/latest")  # at once: pagehide sends it with keepalive
    page.wait_for_function("true")
    assert _kept_draft(page) == (f"thread:{thread.id}", "Typed just before closing the tab")


def _kept_draft(page) -> tuple[str, str] | None:
    """The (scope, body) of the one draft, once the keepalive request sent from pagehide is done."""
    kept = None
    for _ in range(50):  # the request outlives the page: nothing in the next page says it is done
        db.session.expire_all()
        kept = db.session.execute(select(Draft.scope, Draft.body)).first()
        if kept is not None and kept.body:
            break
        page.wait_for_timeout(100)
    return tuple(kept) if kept is not None else None


def test_discard_draft_empties_the_composer_and_the_server(app, live_server, page, scene):
    _, writer, thread = scene
    _open(page, live_server, app, writer, _thread_path(thread))
    page.locator("#reply textarea").fill("Never mind")
    expect(page.locator("#reply .draft-status")).to_have_text("Draft saved")
    page.locator("#reply button.draft-discard").click()
    expect(page.locator("#reply .draft-status")).to_have_text("Draft discarded")
    expect(page.locator("#reply textarea")).to_have_value("")
    db.session.expire_all()
    assert db.session.scalar(select(Draft.id)) is None


def test_quoting_a_selection_puts_it_at_the_caret_with_attribution(app, live_server, page, scene):
    asker, writer, thread = scene
    errors = _open(page, live_server, app, writer, _thread_path(thread))
    box = page.locator("#reply textarea")
    box.fill("Before.\n\nAfter.")
    box.evaluate("t => t.setSelectionRange(9, 9)")  # the empty line between
    page.evaluate("""() => {
      const text = document.querySelector('article.post .post-body p').firstChild;
      const range = document.createRange();
      range.setStart(text, 4); range.setEnd(text, 24);  // "printer says it is o"
      const selection = window.getSelection(); selection.removeAllRanges(); selection.addRange(range);
    }""")
    button = page.locator("button.selection-quote")
    expect(button).to_be_visible()
    button.click()
    opening = db.session.scalar(select(Post.id).where(Post.thread_id == thread.id, Post.position == 1))
    expect(box).to_have_value(f"Before.\n\n> [quote from @tnowak](/p/{opening})\n>\n> printer says it is o\n\nAfter.")
    expect(button).to_be_hidden()
    assert errors == []


def test_ctrl_enter_posts_the_reply(app, live_server, page, scene):
    _, writer, thread = scene
    _open(page, live_server, app, writer, _thread_path(thread))
    box = page.locator("#reply textarea")
    box.fill("Posted with the keyboard")
    box.press("Control+Enter")
    expect(page.locator("article.post").last.locator(".post-body")).to_have_text("Posted with the keyboard")


def test_the_phone_layout_has_write_and_preview_tabs(app, live_server, browser, scene):
    _, writer, thread = scene
    context = browser.new_context(viewport={"width": 390, "height": 800})
    try:
        page = context.new_page()
        _open(page, live_server, app, writer, _thread_path(thread))
        box = page.locator("#reply textarea")
        box.fill("**Bold** move")
        preview = page.locator("#reply [data-preview-output]")
        expect(preview).to_be_hidden()
        page.locator("#reply [role=tab]", has_text="Preview").click()
        expect(preview.locator("strong")).to_have_text("Bold")
        expect(box).to_be_hidden()
        page.locator("#reply [role=tab]", has_text="Write").click()
        expect(box).to_be_visible()
    finally:
        context.close()


XSS_NAME = '<img src=x onerror="window.__xss=1">Eve'
XSS_BODY = '<script>window.__xss=2</script><img src=x onerror="window.__xss=3">'


def test_names_and_drafts_go_into_the_page_as_text(app, live_server, page, scene, make_user):
    """A display name in the suggestions and a restored draft are text (textContent, a textarea's
    value), never HTML: nothing a member typed runs in another page."""
    _, writer, thread = scene
    make_user(username="eve", display_name=XSS_NAME)
    from community.composer import drafts
    drafts.save(writer, f"thread:{thread.id}", XSS_BODY)
    _open(page, live_server, app, writer, _thread_path(thread))
    box = page.locator("#reply textarea")
    expect(box).to_have_value(XSS_BODY)
    box.evaluate("t => { t.value = ''; t.dispatchEvent(new Event('input')); }")
    box.press_sequentially("@eve")
    option = page.locator("#reply [role=option]", has_text="Eve")
    expect(option).to_be_visible()
    assert option.locator(".suggestion-name").inner_text() == XSS_NAME
    assert page.locator("#reply [role=listbox] img:not(.avatar)").count() == 0
    assert page.evaluate("window.__xss || 0") == 0


def _reply_by(writer, thread) -> Post:
    return posts.create_reply(writer, thread.id, "Did you restart it?")


def test_an_edit_typed_in_one_context_is_restored_in_another_and_goes_when_saved(app, live_server, browser, scene):
    _, writer, thread = scene
    reply = _reply_by(writer, thread)
    with _two_devices(browser) as (laptop, phone):
        first = laptop.new_page()
        _open(first, live_server, app, writer, f"/p/{reply.id}/edit")
        first.locator("textarea[data-markdown-input]").fill("Did you restart it? Unplug it for ten seconds too.")
        expect(first.locator(".draft-status")).to_have_text("Draft saved")
        first.close()  # the tab is closed: the edit lives on the server
        second = phone.new_page()
        errors = _open(second, live_server, app, writer, f"/p/{reply.id}/edit")
        box, status = second.locator("textarea[data-markdown-input]"), second.locator(".draft-status")
        expect(box).to_have_value("Did you restart it? Unplug it for ten seconds too.")
        expect(status).to_have_text(re.compile(r"^Restored your unsaved edit from .+\.$"))
        assert status.locator("time").get_attribute("datetime").startswith(str(db.session.scalar(select(Draft.updated_at)).year))
        second.screenshot(path=str(app.instance_path) + "/../edit-draft-phone.png", full_page=True)
        second.get_by_role("button", name="Discard unsaved edit").click()
        expect(status).to_have_text("Unsaved edit discarded; the post as saved is back in the box.")
        expect(box).to_have_value("Did you restart it?")
        db.session.expire_all()
        assert db.session.scalar(select(Draft.id)) is None
        box.fill("Did you restart it? Then reset the network settings.")
        expect(status).to_have_text("Draft saved")
        second.get_by_role("button", name="Save changes").click()
        second.wait_for_url(re.compile(r"/t/\d+"))
        db.session.expire_all()
        assert db.session.scalar(select(Draft.id)) is None
        assert db.session.get(Post, reply.id).body_markdown == "Did you restart it? Then reset the network settings."
        third = laptop.new_page()
        _open(third, live_server, app, writer, f"/p/{reply.id}/edit")
        expect(third.locator("textarea[data-markdown-input]")).to_have_value("Did you restart it? Then reset the network settings.")
        expect(third.locator(".draft-status")).to_have_text("")
        assert errors == []


def test_a_refused_edit_keeps_what_was_typed_over_the_kept_draft(app, live_server, page, scene):
    _, writer, thread = scene
    reply = _reply_by(writer, thread)
    from community.composer import drafts
    drafts.save(writer, f"post:{reply.id}", "An older unsaved edit")
    _open(page, live_server, app, writer, f"/p/{reply.id}/edit")
    box = page.locator("textarea[data-markdown-input]")
    expect(box).to_have_value("An older unsaved edit")
    box.fill(" ")
    page.get_by_role("button", name="Save changes").click()  # an empty body: refused, 422
    expect(page.locator(".draft-status")).to_contain_text("is kept; what you type here replaces it.")
    expect(box).to_have_value(" ")


def test_leaving_an_edit_unsaved_keeps_it_as_a_draft_without_asking(app, live_server, page, scene):
    asker, _, thread = scene
    opening = db.session.scalar(select(Post.id).where(Post.thread_id == thread.id, Post.position == 1))
    _open(page, live_server, app, asker, f"/p/{opening}/edit")
    page.locator("textarea[data-markdown-input]").fill("Changed my mind")
    asked = []
    page.on("dialog", lambda dialog: (asked.append(dialog.type), dialog.dismiss()))
    page.locator(".breadcrumbs a").first.click()
    page.wait_for_url(re.compile(r"/t/\d+"))
    assert _kept_draft(page) == (f"post:{opening}", "Changed my mind")
    assert asked == []


def test_leaving_the_edit_of_a_deleted_post_unsaved_asks_first(app, live_server, page, scene, make_user):
    _, writer, thread = scene
    reply, staff = _reply_by(writer, thread), make_user(role="staff")
    posts.delete_post(staff, reply.id)
    _open(page, live_server, app, staff, f"/p/{reply.id}/edit")
    page.locator("textarea[data-markdown-input]").fill("Changed my mind")
    asked = []
    page.on("dialog", lambda dialog: (asked.append(dialog.type), dialog.dismiss()))
    page.locator(".breadcrumbs a").first.click()
    page.wait_for_timeout(300)
    assert asked == ["beforeunload"] and "/edit" in page.url
