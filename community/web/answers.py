"""Answer marks, close/reopen, follows, "same problem" and helpful votes on the thread page.

Every route is a CSRF-protected POST. JSON clients (Accept: application/json) get the new state
as JSON for progressive enhancement; browsers are redirected back with a flash message.
"""
from __future__ import annotations

from flask import Blueprint, flash, jsonify, redirect, request

from ..content import jsonld
from ..errors import ValidationFailed
from ..services import answers, forum, lifecycle, reactions
from .forms import ReplyForm, posting_limit
from .thread_page import invalid_submission, last_page, post_url_for, render_thread, submitted
from .errors import wants_json
from .helpers import post_url, thread_url, viewer

bp = Blueprint("answers", __name__)


def _form_int(name: str) -> int | None:
    raw = (request.form.get(name) or "").strip()
    return int(raw) if raw.isdigit() and len(raw) < 12 else None


def _respond(message: str, back_to: str, **state):
    if wants_json():
        return jsonify(message=message, **state)
    flash(message, "success")
    return redirect(back_to)


def _thread_state(thread) -> dict:
    return {"thread_id": thread.id, "state": thread.state.value}


# --- accepted and verified answers ------------------------------------------------------------------


@bp.route("/t/<int:thread_id>/accept", methods=["POST"])
def accept(thread_id: int):
    accepted = answers.accept_answer(viewer(), thread_id, _form_int("post_id"))
    thread = forum.thread_for_viewer(viewer(), thread_id)
    return _respond("You accepted this answer. Thanks for closing the loop!", post_url_for(accepted.post_id),
                    accepted_post_id=accepted.post_id, **_thread_state(thread))


@bp.route("/t/<int:thread_id>/unaccept", methods=["POST"])
def unaccept(thread_id: int):
    answers.unaccept_answer(viewer(), thread_id)
    thread = forum.thread_for_viewer(viewer(), thread_id)
    return _respond("The answer is no longer marked as accepted.", thread_url(thread), accepted_post_id=None, **_thread_state(thread))


@bp.route("/t/<int:thread_id>/verify", methods=["POST"])
def verify(thread_id: int):
    verified = answers.verify_answer(viewer(), thread_id, _form_int("post_id"), replacing=_form_int("replacing"))
    thread = forum.thread_for_viewer(viewer(), thread_id)
    return _respond("The answer is marked as staff-verified.", post_url_for(verified.post_id),
                    verified_post_id=verified.post_id, **_thread_state(thread))


@bp.route("/t/<int:thread_id>/unverify", methods=["POST"])
def unverify(thread_id: int):
    answers.unverify_answer(viewer(), thread_id, request.form.get("reason", ""))
    thread = forum.thread_for_viewer(viewer(), thread_id)
    return _respond("The verified mark was removed.", thread_url(thread), verified_post_id=None, **_thread_state(thread))


@bp.route("/t/<int:thread_id>/official", methods=["POST"])
@posting_limit
def official_answer(thread_id: int):
    """The staff reply form's "Post as official answer" button posts here."""
    user = viewer()
    form = ReplyForm()
    try:
        reply = answers.post_official_answer(user, thread_id, form.body.data)
    except ValidationFailed as error:
        found = forum.thread_for_viewer(user, thread_id)
        return invalid_submission(error, lambda: render_thread(
            found, last_page(found), form, errors=error.fields, status=422))
    return submitted(post_url(reply))


# --- close and reopen ---------------------------------------------------------------------------


@bp.route("/t/<int:thread_id>/close", methods=["POST"])
def close(thread_id: int):
    thread = lifecycle.close_thread(viewer(), thread_id, request.form.get("reason", ""))
    return _respond("The thread is closed.", thread_url(thread), **_thread_state(thread))


@bp.route("/t/<int:thread_id>/reopen", methods=["POST"])
def reopen(thread_id: int):
    thread = lifecycle.reopen_thread(viewer(), thread_id, request.form.get("reason", ""))
    return _respond("The thread is open again.", thread_url(thread), **_thread_state(thread))


@bp.route("/t/<int:thread_id>/solution")
def solution(thread_id: int):
    """Where a listing's or a search result's "Solved" marker leads: the answer in its place."""
    thread, post = answers.solution_post(viewer(), thread_id)
    return redirect(post_url_for(post.id) if post is not None else thread_url(thread) + "#solution")


# --- follows, same problem, helpful -----------------------------------------------------------------


@bp.route("/t/<int:thread_id>/follow", methods=["POST"])
def follow(thread_id: int):
    reactions.set_following(viewer(), thread_id, True)
    thread = forum.thread_for_viewer(viewer(), thread_id)
    return _respond("You're following this thread.", thread_url(thread), following=True)


@bp.route("/t/<int:thread_id>/unfollow", methods=["POST"])
def unfollow(thread_id: int):
    reactions.set_following(viewer(), thread_id, False)
    thread = forum.thread_for_viewer(viewer(), thread_id)
    return _respond("You stopped following this thread.", thread_url(thread), following=False)


@bp.route("/t/<int:thread_id>/same-problem", methods=["POST"])
def same_problem(thread_id: int):
    active, count = reactions.toggle_same_problem(viewer(), thread_id)
    thread = forum.thread_for_viewer(viewer(), thread_id)
    message = "Noted: you have this problem too, and you'll hear about answers." if active else "Removed your “me too”."
    # Saying so follows the thread (the service does): the page's Follow button is told too.
    extra = {"following": True} if active else {}
    return _respond(message, thread_url(thread), active=active, count=count, **extra)


@bp.route("/p/<int:post_id>/helpful", methods=["POST"])
def helpful(post_id: int):
    active, count = reactions.toggle_helpful(viewer(), post_id)
    message = "Marked as helpful." if active else "Removed your helpful vote."
    return _respond(message, post_url_for(post_id), active=active, count=count)


@bp.app_template_filter("jsonld")
def jsonld_filter(data: dict):
    return jsonld.script_json(data)
