"""attachments.js in Chromium, under the real CSP and CSRF: paste a screenshot and drop a log file
into a reply, watch the progress, post, see the inline image (and its lightbox) and the file card;
another member sees both; a signed-out visitor gets 404 for a private thread's file."""
from __future__ import annotations

import io
from pathlib import Path

import pytest
from playwright.sync_api import expect

from community.attachments import service
from community.services import threads
from tests.web.test_forum_browser import _sign_in_browser

pytestmark = [pytest.mark.backends("sqlite"), pytest.mark.browser]
SHOTS = Path("/tmp/attach-shots")

PASTE_SCREENSHOT = """async () => {
  const canvas = document.createElement("canvas");
  canvas.width = 800; canvas.height = 400;
  const context = canvas.getContext("2d");
  context.fillStyle = "#1f5eff"; context.fillRect(0, 0, 800, 400);
  context.fillStyle = "#fff"; context.fillRect(40, 40, 300, 120);
  const blob = await new Promise((resolve) => canvas.toBlob(resolve, "image/png"));
  const data = new DataTransfer();
  data.items.add(new File([blob], "image.png", { type: "image/png" }));
  const box = document.querySelector("#reply textarea");
  box.focus();
  box.dispatchEvent(new ClipboardEvent("paste", { clipboardData: data, bubbles: true, cancelable: true }));
}"""

DROP_LOG = """() => {
  const data = new DataTransfer();
  data.items.add(new File(["2026-12-07 10:00 boot\\n2026-12-07 10:01 ERROR printer offline\\n"], "server.log", { type: "text/plain" }));
  const box = document.querySelector("#reply textarea");
  box.dispatchEvent(new DragEvent("dragover", { dataTransfer: data, bubbles: true, cancelable: true }));
  box.dispatchEvent(new DragEvent("drop", { dataTransfer: data, bubbles: true, cancelable: true }));
}"""

LOADED = "img => img.complete && img.naturalWidth > 0"


def _wait_loaded(page, selector: str) -> None:
    """Wait until the image has been fetched and decoded: being visible is not being loaded."""
    page.wait_for_function(f"() => {{ const img = document.querySelector({selector!r}); return img && ({LOADED})(img); }}")


WATCH_PROGRESS = """() => {
  window.progressSeen = [];
  const bar = document.querySelector("#reply progress");
  new MutationObserver(() => window.progressSeen.push(bar.hidden)).observe(bar, { attributes: true });
}"""


def test_paste_and_drop_post_and_everyone_allowed_sees_them(app, live_server, page, browser, make_user, make_category):
    SHOTS.mkdir(exist_ok=True)
    author, other = make_user(username="asker"), make_user(username="helper")
    category = make_category()
    thread = threads.create_thread(author, category.id, "Printer offline", "It says offline since Monday.")
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    _sign_in_browser(page, live_server, app, author)
    url = f"{live_server.url}/t/{thread.id}-{thread.slug}"
    page.goto(url)
    box = page.locator("#reply textarea")
    box.fill("Here is the screen and the log: ")
    page.evaluate(WATCH_PROGRESS)

    page.evaluate(PASTE_SCREENSHOT)
    expect(page.locator("#reply .attach-status")).to_have_text(__import__("re").compile(r"Attached pasted-.*\.png"))
    page.evaluate(DROP_LOG)
    expect(page.locator("#reply .attach-status")).to_have_text(__import__("re").compile(r"Attached server\.log"))
    value = box.input_value()
    assert value.startswith("Here is the screen and the log:")
    assert value.count("](attachment:") == 2 and "[server.log](attachment:" in value
    assert False in page.evaluate("window.progressSeen")  # the bar was shown
    assert page.locator("#reply progress").evaluate("bar => bar.value") == 100
    page.screenshot(path=str(SHOTS / "composer.png"), full_page=True)

    page.locator("#reply button[type=submit]", has_text="Post reply").click()
    image = page.locator("a.attachment-image img").first
    expect(image).to_be_visible()
    _wait_loaded(page, "a.attachment-image img")
    assert image.evaluate("img => img.naturalWidth") > 0
    card = page.locator("a.attachment-card", has_text="server.log")
    expect(card).to_contain_text("Log file")
    page.screenshot(path=str(SHOTS / "posted.png"), full_page=True)

    page.locator("a.attachment-image").first.click()
    dialog = page.locator("dialog.lightbox")
    expect(dialog).to_be_visible()
    _wait_loaded(page, "dialog.lightbox img")  # the full-size file is fetched when the dialog opens
    assert dialog.locator("img").evaluate("img => img.naturalWidth") == 800
    assert dialog.locator("a.lightbox-report").get_attribute("href").endswith("/flag")  # readers may report it
    page.screenshot(path=str(SHOTS / "lightbox.png"))
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    assert errors == []

    # Another member sees both, and downloads the log.
    context = browser.new_context()
    try:
        second = context.new_page()
        _sign_in_browser(second, live_server, app, other)
        second.goto(url)
        expect(second.locator("a.attachment-image img").first).to_be_visible()
        _wait_loaded(second, "a.attachment-image img")
        assert second.locator("a.attachment-image img").first.evaluate("img => img.naturalWidth") > 0
        href = second.locator("a.attachment-card").first.get_attribute("href")
        download = second.request.get(live_server.url + href)
        assert download.status == 200 and b"ERROR printer offline" in download.body()
        assert download.headers["content-disposition"].startswith("attachment;")
        assert download.headers["x-content-type-options"] == "nosniff"
    finally:
        context.close()


def test_a_signed_out_visitor_gets_404_for_a_private_threads_file(app, live_server, browser, make_user, make_category):
    author = make_user()
    sent = service.upload(author, "invoice.log", io.BytesIO(b"invoice 42\n"))
    threads.create_thread(author, make_category().id, "My invoice", f"[invoice]({'attachment:%d' % sent.id})", is_private=True)
    context = browser.new_context()
    try:
        answer = context.request.get(f"{live_server.url}{service.file_path(sent)}")
        assert answer.status == 404 and b"invoice 42" not in answer.body()
    finally:
        context.close()


def test_an_iphone_heic_chosen_with_attach_files_shows_upright_and_a_damaged_one_is_refused(
        app, live_server, page, make_user, make_category):
    """Chromium shows no HEIC itself: an image that loads is the JPEG made from it."""
    from .helpers import heic_with_gps

    SHOTS.mkdir(exist_ok=True)
    author = make_user()
    thread = threads.create_thread(author, make_category().id, "Router lights", "Which light is which?")
    _sign_in_browser(page, live_server, app, author)
    page.goto(f"{live_server.url}/t/{thread.id}-{thread.slug}")
    box = page.locator("#reply textarea")
    box.fill("Photo of the front: ")
    photo = heic_with_gps((600, 300), orientation=6)
    status = page.locator("#reply .attach-status")
    chooser = page.locator("#reply [data-attach-input]")
    chooser.set_input_files({"name": "IMG_0042.HEIC", "mimeType": "image/heic", "buffer": photo[: len(photo) // 2]})
    expect(status).to_contain_text("damaged or incomplete")
    assert box.input_value() == "Photo of the front: "  # the text stays, nothing inserted
    assert page.locator("#reply progress").evaluate("bar => bar.hidden")  # no part-filled bar beside the refusal
    page.screenshot(path=str(SHOTS / "heic-refused.png"), full_page=True)
    chooser.set_input_files({"name": "IMG_0042.HEIC", "mimeType": "image/heic", "buffer": photo})
    expect(status).to_contain_text("Attached IMG_0042.jpg (")
    assert "![IMG_0042.jpg](attachment:" in box.input_value()
    page.locator("#reply button[type=submit]", has_text="Post reply").click()
    _wait_loaded(page, "a.attachment-image img")
    size = page.locator("a.attachment-image img").first.evaluate("img => [img.naturalWidth, img.naturalHeight]")
    assert size == [300, 600]  # turned upright: the camera held it sideways
    page.screenshot(path=str(SHOTS / "heic-posted.png"), full_page=True)


ATTACH_CONTROLS = """form => [...form.querySelectorAll("button, [role=button], input:not([type=hidden]):not([hidden])")]
  .filter(control => /attach/i.test(control.getAttribute("aria-label") || control.textContent || ""))
  .map(control => control.getAttribute("aria-label") || control.textContent)"""


@pytest.mark.parametrize("width", [1280, 390])
def test_the_toolbars_attach_button_is_the_one_attach_control_and_uploads(app, live_server, browser, make_user, make_category, width):
    """One control, by keyboard too: Tab to the toolbar, End, Enter opens the same file picker that
    drop and paste feed; the upload shows its progress and status like theirs."""
    author = make_user()
    thread = threads.create_thread(author, make_category().id, "Printer offline", "It says offline since Monday.")
    context = browser.new_context(viewport={"width": width, "height": 900})
    try:
        page = context.new_page()
        # A filechooser listener turns on Chromium's interception of the picker, in a message
        # Playwright sends without waiting: added here, long before the key press, not just then.
        page.on("filechooser", lambda chooser: None)
        _sign_in_browser(page, live_server, app, author)
        page.goto(f"{live_server.url}/t/{thread.id}-{thread.slug}")
        form = page.locator("#reply")
        attach = form.get_by_role("button", name="Attach an image or file")
        expect(attach).to_be_visible()
        assert form.evaluate(ATTACH_CONTROLS) == ["Attach an image or file"]
        assert attach.evaluate("b => document.getElementById(b.getAttribute('aria-describedby')).textContent").startswith(
            "Attach an image or file with Attach above")
        form.locator("textarea").fill("The log: ")
        page.evaluate(WATCH_PROGRESS)
        form.get_by_role("button", name="Bold").focus()  # the toolbar's one tab stop
        page.keyboard.press("End")
        expect(attach).to_be_focused()
        with page.expect_file_chooser() as chosen:
            page.keyboard.press("Enter")
        chosen.value.set_files({"name": "printer.log", "mimeType": "text/plain", "buffer": b"10:01 ERROR offline\n"})
        expect(form.locator(".attach-status")).to_have_text(__import__("re").compile(r"^Attached printer\.log \("))
        assert __import__("re").fullmatch(r"The log: \[printer\.log\]\(attachment:\d+\)", form.locator("textarea").input_value())
        assert False in page.evaluate("window.progressSeen")  # the progress bar was shown for it
    finally:
        context.close()
