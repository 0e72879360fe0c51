"""Tags and watching in Chromium, with CSRF and the CSP on: a member watches a category with the
menu, another tags a new thread in the composer and finds it from the chip's tag page, and the
watcher's bell and notifications page show the new thread."""
import pytest

from community.models import Role
from community.tags import service
from tests.web.test_answer_walk_browser import _signed_in_page, _wait_for_bell

pytestmark = [pytest.mark.backends("sqlite"), pytest.mark.browser]

TITLE = "Printer queue stalls after the firmware update"


def test_tag_a_thread_find_it_by_its_chip_and_hear_of_it_by_watching(app, live_server, browser, make_user, make_category):
    service.add_official(make_user(role=Role.admin), "printers")
    category = make_category(name="Hardware")
    watcher = _signed_in_page(browser, live_server, app, make_user(display_name="Wanda Watcher"))
    poster = _signed_in_page(browser, live_server, app, make_user(display_name="Pat Poster"))
    problems = []
    for page in (watcher, poster):
        # The refused composer answers 422, which Chromium logs as a failed load: not a script error.
        page.on("console", lambda message: problems.append(message.text)
                if message.type == "error" and "422" not in message.text else None)
        page.on("pageerror", lambda error: problems.append(str(error)))

    watcher.goto(f"{live_server.url}/c/{category.slug}")
    watcher.get_by_label("Notifications for this category").select_option("watching")
    watcher.get_by_role("button", name="Save").click()
    watcher.wait_for_url(f"**/c/{category.slug}")
    assert "Now: Watching." in watcher.locator(".watch-control").inner_text()
    assert watcher.get_by_label("Notifications for this category").input_value() == "watching"

    poster.goto(f"{live_server.url}/c/{category.slug}/new")
    poster.get_by_label("Title").fill(TITLE)
    poster.get_by_label("Your question or topic").fill("Jobs sit in the queue until I restart the spooler.")
    poster.get_by_label("Tags (optional)").fill("Printers, toner")  # not on the list: refused, text kept
    poster.get_by_role("button", name="Post thread").click()
    assert "“toner” is not one of this community's tags" in poster.locator(".field-error").inner_text()
    assert poster.get_by_label("Tags (optional)").input_value() == "Printers, toner"
    assert poster.get_by_label("Title").input_value() == TITLE
    poster.get_by_label("Tags (optional)").fill("Printers")
    poster.get_by_role("button", name="Post thread").click()
    poster.wait_for_url("**/t/*")
    poster.locator(".thread-header a.tag-chip", has_text="printers").click()
    poster.wait_for_url("**/tag/printers")
    assert poster.locator("h1").inner_text() == "Threads tagged printers"
    assert poster.locator(".thread-list a.title", has_text=TITLE).count() == 1

    _wait_for_bell(watcher, f"{live_server.url}/notifications")
    assert watcher.locator("[data-unread-count]").inner_text() == "1"
    assert f"Pat Poster started “{TITLE}” in Hardware" in watcher.locator("main").inner_text()
    assert problems == []
