"""The reader's thread page in Chromium with the CSP on: jump to the answer, the user card, the
keyboard shortcuts, the folded phone menu, and dark mode's contrast under axe (issue 15)."""
from pathlib import Path

import pytest
from playwright.sync_api import expect

from community.extensions import db
from community.models import Tag
from community.services import answers, posts, threads
from tests.web.test_forum_browser import _sign_in_browser

pytestmark = [pytest.mark.backends("sqlite"), pytest.mark.browser]
AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"


@pytest.fixture
def solved(app, make_user, make_category):
    asker = make_user(display_name="Asker Ann")
    helper = make_user(display_name="Helper Hal", username="hal")
    staff = make_user(role="staff", display_name="Staff Sam")
    thread = threads.create_thread(asker, make_category(name="Networking").id, "Certificate renewal fails", "It fails nightly.")
    thread.tags = [Tag(name="ssl", is_official=True)]  # chips on the listing, in both schemes
    db.session.commit()
    for n in range(6):
        posts.create_reply(make_user(), thread.id, f"Filler reply number {n}. " + "More words here. " * 30)
    answer = posts.create_reply(helper, thread.id, "Open port 80 for the HTTP challenge.")
    answers.accept_answer(asker, thread.id, answer.id)
    answers.verify_answer(staff, thread.id, answer.id)
    return type("Solved", (), dict(thread=thread, answer=answer, helper=helper, asker=asker))


def _axe(page, only=None) -> list[str]:
    page.add_script_tag(path=str(AXE))
    options = "{resultTypes: ['violations']" + (f", runOnly: {only!r}" if only else "") + "}"
    violations = page.evaluate(f"axe.run(document, {options}).then(r => r.violations)")
    return [f"{v['id']}: {v['help']} {[n['target'] for n in v['nodes']][:3]} {v['nodes'][0].get('failureSummary', '')[:200]}" for v in violations]


def test_jump_card_and_keyboard(app, live_server, browser, solved, make_user):
    errors = []
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda message: errors.append(message.text) if "Content Security Policy" in message.text else None)
    try:
        _sign_in_browser(page, live_server, app, make_user(display_name="Reader Rae"))
        page.goto(f"{live_server.url}/t/{solved.thread.id}-{solved.thread.slug}")
        summary = page.locator("#solution")
        expect(summary).to_contain_text("Staff-verified answer")
        expect(summary).to_contain_text("Accepted by the asker")
        summary.get_by_role("link", name="Jump to the answer").click()
        assert page.url.endswith(f"#post-{solved.answer.id}")
        answer = page.locator(f"#post-{solved.answer.id}")
        expect(answer).to_be_in_viewport()
        assert "post-verified" in answer.get_attribute("class") and "post-accepted" in answer.get_attribute("class")

        # The user card: hover the answerer's name; Escape closes it.
        answer.locator("a.post-author").hover()
        card = page.locator(".user-card")
        expect(card).to_be_visible()
        expect(card).to_contain_text("Helper Hal")
        expect(card).to_contain_text("1 accepted answer")
        expect(card.get_by_role("link", name="View profile")).to_have_attribute("href", "/u/hal")
        page.keyboard.press("Escape")
        expect(card).to_be_hidden()

        # Keyboard: j/k move between posts, r goes to the reply box, typing there is just typing.
        page.evaluate("window.scrollTo(0, 0)")
        page.keyboard.press("j")
        first = page.locator("article.post").first
        expect(first).to_be_focused()
        page.keyboard.press("j")
        expect(page.locator("article.post").nth(1)).to_be_focused()
        page.keyboard.press("k")
        expect(first).to_be_focused()
        page.keyboard.press("r")
        reply = page.locator("#reply textarea")
        expect(reply).to_be_focused()
        page.keyboard.type("just typing jk")
        expect(reply).to_have_value("just typing jk")
        expect(reply).to_be_focused()
        reply.blur()
        page.keyboard.press("?")
        dialog = page.get_by_role("dialog", name="Keyboard shortcuts")
        expect(dialog).to_be_visible()
        expect(dialog).to_contain_text("Next post")
        page.keyboard.press("Escape")
        expect(dialog).to_be_hidden()
    finally:
        context.close()
    assert errors == []


def test_phone_menu_folds_and_dark_mode_keeps_contrast(app, live_server, browser, solved, make_user):
    if not AXE.exists():
        pytest.fail("axe-core is missing: run `make node-deps` (npm ci)")
    context = browser.new_context(viewport={"width": 390, "height": 800}, color_scheme="dark", has_touch=True, bypass_csp=True)
    page = context.new_page()
    try:
        _sign_in_browser(page, live_server, app, make_user(display_name="Phone Pat"))
        page.goto(f"{live_server.url}/")
        menu = page.get_by_role("button", name="Menu")
        settings = page.get_by_role("link", name="Settings")
        expect(menu).to_be_visible()
        expect(settings).to_be_hidden()
        assert page.locator(".site-header").bounding_box()["height"] < 110
        menu.click()
        expect(menu).to_have_attribute("aria-expanded", "true")
        expect(settings).to_be_visible()
        page.keyboard.press("Escape")
        expect(settings).to_be_hidden()
        # The latest threads come before the categories, so a phone shows them above the fold.
        assert page.locator("#latest-heading").bounding_box()["y"] < page.locator("#categories-heading").bounding_box()["y"]

        background = page.evaluate("getComputedStyle(document.documentElement).backgroundColor")
        assert background == "rgb(17, 20, 24)"  # the dark scheme, from prefers-color-scheme
        for path in ("/", f"/t/{solved.thread.id}-{solved.thread.slug}", "/u/hal", "/latest", "/categories",
                     "/search?q=certifcate", "/settings"):
            page.goto(live_server.url + path)
            assert _axe(page, ["color-contrast"]) == [], path
    finally:
        context.close()
