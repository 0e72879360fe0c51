"""axe-core (every rule) and the Nu Html Checker on the composer's states, at desktop and phone
widths, under the real CSP: the reply composer with the toolbar, its preview open (beside the
text, or the Preview tab on a phone), the @ suggestions open, a draft restored; the new-thread
composer with # suggestions open; the edit composer with an unsaved edit restored."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from community.composer import drafts
from community.services import posts, threads
from community.tags import service as tag_service
from tests.web import quality
from tests.web.test_forum_browser import _sign_in_browser

pytestmark = [pytest.mark.backends("sqlite"), pytest.mark.browser]


def _violations(page) -> list[str]:
    found = page.evaluate("axe.run(document, {resultTypes: ['violations']}).then(r => r.violations)")
    return quality.compact_axe(found)


def test_composer_states_pass_axe_and_the_nu_checker(app, live_server, browser, make_user, make_category, tmp_path):
    if not quality.AXE.exists() or not quality.VNU.exists():
        pytest.fail("axe-core or vnu-jar is missing: run `make node-deps`")
    asker = make_user(username="tnowak", display_name="Tomasz Nowak")
    writer = make_user(username="writer", display_name="Wendy Writer")
    tag_service.add_official(make_user(role="admin"), "firmware")
    category = make_category(name="Firmware updates")
    thread = threads.create_thread(asker, category.id, "Printer offline", "It says **offline**.")
    reply = posts.create_reply(writer, thread.id, "Did you restart it?")
    problems, saved = [], 0
    for label, width in quality.WIDTHS.items():
        # Each width starts from the same draft (the one before typed into it, and it was saved).
        drafts.save(writer, f"thread:{thread.id}", "A draft from **another** device")
        drafts.save(writer, f"post:{reply.id}", "Did you restart it? An unsaved **edit**")
        context = browser.new_context(viewport={"width": width, "height": quality.HEIGHT})
        context.add_init_script(path=str(quality.AXE))
        page = context.new_page()
        try:
            _sign_in_browser(page, live_server, app, writer)
            page.goto(f"{live_server.url}/t/{thread.id}-{thread.slug}")
            expect(page.locator("#reply .draft-status")).to_have_text("Draft restored")
            if label == "mobile":
                page.locator("#reply [role=tab]", has_text="Preview").click()
            expect(page.locator("#reply [data-preview-output] strong")).to_have_text("another")
            states = [("reply-preview", page.content(), _violations(page))]
            if label == "mobile":
                page.locator("#reply [role=tab]", has_text="Write").click()
            box = page.locator("#reply textarea")
            box.fill("")
            box.press_sequentially("Thanks @Toma")
            expect(page.locator("#reply [role=option]").first).to_be_visible()
            states.append(("mentions-open", page.content(), _violations(page)))
            page.goto(f"{live_server.url}/c/{category.slug}/new")
            body = page.locator("textarea[data-markdown-input]")
            body.click()
            body.press_sequentially("See #firm")
            expect(page.locator("[role=option]").first).to_be_visible()
            states.append(("hashtags-open", page.content(), _violations(page)))
            page.goto(f"{live_server.url}/p/{reply.id}/edit")
            expect(page.locator(".draft-status")).to_contain_text("Restored your unsaved edit from")
            states.append(("edit", page.content(), _violations(page)))
        finally:
            context.close()
        for name, html, violations in states:
            problems += [f"{name}@{width}: {violation}" for violation in violations]
            (tmp_path / f"{name}-{width}.html").write_text(html)
            saved += 1
    errors = quality.run_vnu(tmp_path)
    problems += [f"{file}: {error}" for file, found in errors.items() for error in found]
    assert saved == 8 and problems == [], "\n".join(problems)
