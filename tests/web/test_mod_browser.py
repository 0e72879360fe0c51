"""Moderation in Chromium with CSRF and the CSP on: a reader flags a post, staff hide it from the queue."""
import pytest
from sqlalchemy import select

from community.extensions import db
from community.models import Post, Role
from community.services import threads

from .test_forum_browser import _sign_in_browser

pytestmark = [pytest.mark.backends("sqlite"), pytest.mark.browser]


def test_flag_then_hide_from_the_queue(app, live_server, browser, make_user, make_category):
    thread = threads.create_thread(make_user(), make_category().id, "Printer jams", "Cheap watches here")
    errors = []
    reader_context, staff_context = browser.new_context(), browser.new_context()
    try:
        reader = reader_context.new_page()
        reader.on("console", lambda message: errors.append(message.text) if "Content Security Policy" in message.text else None)
        _sign_in_browser(reader, live_server, app, make_user())
        reader.goto(f"{live_server.url}/t/{thread.id}-{thread.slug}")
        reader.get_by_role("link", name="Flag").click()
        reader.get_by_label("Spam").check()
        reader.get_by_label("Note for staff (optional)").fill("an advert")
        reader.get_by_role("button", name="Send flag").click()
        reader.get_by_text("Thanks for the report").wait_for()

        staff = staff_context.new_page()
        _sign_in_browser(staff, live_server, app, make_user(role=Role.moderator))
        staff.goto(f"{live_server.url}/mod/queue")
        staff.get_by_text("Spam (1)").wait_for()
        assert "an advert" in staff.content()
        staff.get_by_role("button", name="Hide").click()
        staff.get_by_text("The post is hidden.").wait_for()
    finally:
        reader_context.close()
        staff_context.close()
    db.session.expire_all()
    assert db.session.scalar(select(Post.is_hidden).where(Post.thread_id == thread.id)) is True
    assert errors == []
