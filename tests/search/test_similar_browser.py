"""similar.js in a real browser: debounced suggestions, aria-live announcement, arrow keys, beacon."""
from __future__ import annotations

import pytest
from flask import render_template_string

from community.extensions import db
from community.models import DeflectionEvent

COMPOSER = """{% extends "base.html" %}{% block content %}
{% from "search/_similar.html" import similar_questions %}
<form method="post" action="/search/deflection">
  <input type="hidden" name="csrf_token" value="{{ csrf_token() }}">
  <input type="hidden" name="kind" value="posted"><input type="hidden" name="cid" value="formsubmit1">
  <label for="title">Title</label><input type="text" id="title" name="title">
  {{ similar_questions(title_field_id="title", body_field_id="body") }}
  <label for="body">Body</label><textarea id="body" name="body"></textarea>
  <button type="submit" id="post">Post</button>
</form>{% endblock %}
{% block scripts %}<script src="{{ url_for('static', filename='js/similar.js') }}" defer></script>{% endblock %}"""


@pytest.mark.browser
@pytest.mark.backends("sqlite")
def test_suggestions_appear_while_typing_and_are_keyboard_navigable(app, make_thread, live_server, page, search_backend):
    app.add_url_rule("/_test/compose", "test_compose", lambda: render_template_string(COMPOSER))
    thread = make_thread(title="Camera app crashes on start", body="Every time.")
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{live_server.url}/_test/compose")
    page.locator(".similar-fallback").wait_for(state="hidden")
    page.fill("#title", "camera crashes when starting")
    link = page.locator("[data-similar-list] a").first
    link.wait_for()
    assert "Camera app crashes on start" in link.inner_text()
    assert "1 similar question found" in page.locator("[data-similar-status]").inner_text()

    page.focus("#title")
    page.keyboard.press("ArrowDown")
    assert page.evaluate("document.activeElement.textContent").startswith("Camera app crashes")
    page.keyboard.press("Escape")
    assert page.evaluate("document.activeElement.id") == "title"

    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/t/{thread.id}*")
    kinds = sorted(e.kind for e in db.session.query(DeflectionEvent))
    assert kinds == ["opened", "shown"]
    assert not errors, errors
