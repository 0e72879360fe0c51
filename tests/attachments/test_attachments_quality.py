"""axe-core (every rule) and the Nu Html Checker on the attachment states, at desktop and phone
widths, under the real CSP: a thread with an inline image and a file card, the reply composer
with its attach bar after a refusal, the lightbox open, a file's flag page, the moderation queue
listing a flagged file, search results with the paperclip, and /admin/attachments."""
from __future__ import annotations

import io

import pytest

from community.attachments import moderation, service
from community.services import posts, threads
from tests.web import quality
from tests.web.test_forum_browser import _sign_in_browser

from .helpers import png

pytestmark = [pytest.mark.backends("sqlite"), pytest.mark.browser]

REFUSE_SVG = """() => {
  const data = new DataTransfer();
  data.items.add(new File(['<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'], "logo.svg", { type: "image/svg+xml" }));
  document.querySelector("#reply textarea").dispatchEvent(new DragEvent("drop", { dataTransfer: data, bubbles: true, cancelable: true }));
}"""


def _violations(page) -> list[str]:
    found = page.evaluate("axe.run(document, {resultTypes: ['violations']}).then(r => r.violations)")
    return quality.compact_axe(found)


def test_attachment_states_pass_axe_and_the_nu_checker(app, live_server, browser, make_user, make_category, tmp_path):
    if not quality.AXE.exists() or not quality.VNU.exists():
        pytest.fail("axe-core or vnu-jar is missing: run `make node-deps`")
    author, admin, reader = make_user(), make_user(role="admin"), make_user()
    thread = threads.create_thread(author, make_category().id, "Printer offline", "It says offline.")
    image = service.upload(author, "screen.png", io.BytesIO(png((900, 400))))
    log = service.upload(author, "printer.log", io.BytesIO(b"ERROR offline\n"))
    posts.create_reply(author, thread.id, f"Screen: ![The printer's panel](attachment:{image.id})\n\nLog: [printer.log](attachment:{log.id})")
    moderation.flag_file(reader, log.id, "abuse", "It has a password in it")
    problems, saved = [], 0
    for width in quality.WIDTHS.values():
        context = browser.new_context(viewport={"width": width, "height": quality.HEIGHT})
        context.add_init_script(path=str(quality.AXE))
        page = context.new_page()
        try:
            _sign_in_browser(page, live_server, app, author)
            page.goto(f"{live_server.url}/t/{thread.id}-{thread.slug}")
            page.evaluate(REFUSE_SVG)
            page.locator("#reply .attach-status.field-error").wait_for()
            states = [("thread", page.content(), _violations(page))]
            page.locator("a.attachment-image").first.click()
            page.locator("dialog.lightbox img").wait_for()
            states.append(("lightbox", page.content(), _violations(page)))
            page.keyboard.press("Escape")
            page.goto(f"{live_server.url}/search?q=printer")
            page.locator(".badge-files").first.wait_for()
            states.append(("search", page.content(), _violations(page)))
            _sign_in_browser(page, live_server, app, reader)
            page.goto(f"{live_server.url}/attachments/{image.id}/flag")
            states.append(("flag", page.content(), _violations(page)))
            _sign_in_browser(page, live_server, app, admin)
            page.goto(f"{live_server.url}/admin/attachments")
            states.append(("admin", page.content(), _violations(page)))
            page.goto(f"{live_server.url}/mod/queue")
            page.locator(f"#queue-file-{log.id}").wait_for()
            states.append(("queue", page.content(), _violations(page)))
            page.screenshot(path=f"/tmp/attach-shots/queue-{width}.png", full_page=True)
        finally:
            context.close()
        for name, html, violations in states:
            problems += [f"{name}@{width}: {violation}" for violation in violations]
            (tmp_path / f"{name}-{width}.html").write_text(html)
            saved += 1
    errors = quality.run_vnu(tmp_path)
    problems += [f"{file}: {error}" for file, found in errors.items() for error in found]
    assert saved == 12 and problems == [], "\n".join(problems)
