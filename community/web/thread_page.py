"""The thread page as the forum and the answer views render it, and what a form post answers.

Shared by web/forum.py (reading, replying) and web/answers.py (official answers, marks), so
neither imports the other's internals.
"""
from __future__ import annotations

from flask import current_app, jsonify, redirect, request, url_for

from .. import policies
from ..errors import ValidationFailed
from ..services import answers, forum
from .errors import wants_json
from .helpers import post_url, render_page, viewer


def invalid_submission(error: ValidationFailed, render_form):
    """A refused submission: the form again (422, typed text kept), or JSON for JSON clients."""
    if wants_json():
        body = {"status": 422, "code": "invalid", "message": error.message, "fields": error.fields}
        return jsonify(error=body), 422
    return render_form()


def submitted(url: str):
    """A stored submission: the new post's URL as JSON (201), or a redirect to it."""
    return (jsonify(url=url), 201) if wants_json() else redirect(url)


def post_url_for(post_id: int) -> str:
    return url_for("forum.post_permalink", post_id=post_id)


def last_page(found) -> int:
    per_page = current_app.config["POSTS_PER_PAGE"]
    return max(1, (found.reply_count + 1 + per_page - 1) // per_page)


def render_thread(found, page_number: int, form, errors=None, preview=None, status=200):
    user = viewer()
    page = forum.thread_posts(user, found, page_number)
    return render_page(
        "forum/thread.html", status, thread=found, posts=page, form=form, errors=errors or {},
        preview=preview, can_reply=policies.can_reply(user, found),
        **thread_page_context(found, [post.id for post in page.items]),
    )


def thread_page_context(thread, post_ids: list[int]) -> dict:
    """Extra context for templates/forum/thread.html (the answers/* partials use it)."""
    info = answers.thread_answers(viewer(), thread, post_ids)
    data = answers.structured_data(thread, lambda post: request.url_root.rstrip("/") + post_url(post), info)
    return {
        "answer_info": info,
        "structured_data": data,
        "indexable": answers.is_publicly_indexable(thread),
        "answer_policies": policies,
    }
