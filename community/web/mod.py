"""Moderation pages: flagging, the queue, post/thread/member actions, watched words, the audit log.

Each view parses the form, calls one service function and maps refusals to responses; services
check permissions and write the audit rows.
"""
from __future__ import annotations

from flask import Blueprint, flash, jsonify, redirect, request, url_for
from flask_login import login_required

from .. import policies
from ..attachments import moderation as file_moderation, service as attachments
from ..errors import ValidationFailed
from ..models import FLAG_REASON_LABELS
from ..services import audit as audit_log, forum, moderation, private_threads, spam
from .errors import wants_json
from .helpers import post_url, render_page, thread_url, viewer
from .security import safe_next

bp = Blueprint("mod", __name__)


def _reason() -> str:
    return request.form.get("reason", "")


def _back(default: str) -> str:
    return safe_next(request.form.get("next"), default)


def _int_or_none(raw: object) -> int | None:
    text = str(raw or "").strip().lstrip("#")
    return int(text) if text.isdigit() and len(text) < 12 else None


# --- flagging (any member) ----------------------------------------------------------------------


@bp.route("/p/<int:post_id>/flag", methods=["GET", "POST"])
@login_required
def flag(post_id: int):
    user = viewer()
    post = forum.post_for_viewer(user, post_id)
    if request.method == "GET":
        return _flag_form(post, {}, {})
    sent = _json_object() if request.is_json else request.form
    try:
        moderation.flag_post(user, post_id, sent.get("reason"), sent.get("note", ""))
    except ValidationFailed as error:
        if wants_json():
            return jsonify(error={"status": 422, "code": "invalid", "message": error.message, "fields": error.fields}), 422
        return _flag_form(post, request.form, error.fields, 422)
    if wants_json():
        return jsonify(flagged=True), 201
    flash("Thanks for the report. Staff will take a look.", "success")
    return redirect(post_url(post))


def _json_object() -> dict:
    payload = request.get_json(silent=True)
    return {key: str(value) for key, value in payload.items()} if isinstance(payload, dict) else {}


def _flag_form(post, typed, errors, status: int = 200):
    return render_page(
        "mod/flag.html", status, post=post, typed=typed, errors=errors, reasons=FLAG_REASON_LABELS,
        files=attachments.of_post(post),  # each can be flagged on its own
    )


# --- the queue ----------------------------------------------------------------------------------


@bp.route("/mod/queue")
@login_required
def queue():
    return render_page(
        "mod/queue.html", items=moderation.moderation_queue(viewer()), flagged_files=file_moderation.flagged_files(viewer()),
        file_path=attachments.file_path, size_label=attachments.size_label, reason_labels=FLAG_REASON_LABELS,
    )


POST_ACTIONS = {
    "dismiss": (lambda user, post_id: moderation.dismiss_flags(user, post_id, _reason()), "Flags dismissed."),
    "hide": (lambda user, post_id: moderation.set_post_hidden(user, post_id, True, _reason()), "The post is hidden."),
    "unhide": (lambda user, post_id: moderation.set_post_hidden(user, post_id, False, _reason()), "The post is visible again."),
    "delete": (lambda user, post_id: moderation.delete_flagged_post(user, post_id, _reason()), "The post was deleted."),
    "approve": (lambda user, post_id: moderation.approve_post(user, post_id, _reason()), "The post is approved and public."),
}


@bp.route("/mod/posts/<int:post_id>/<action>", methods=["POST"])
@login_required
def post_action(post_id: int, action: str):
    if action not in POST_ACTIONS:
        return _not_found()
    run, message = POST_ACTIONS[action]
    run(viewer(), post_id)
    flash(message, "success")
    return redirect(_back(url_for("mod.queue")))


def _not_found():
    from .errors import error_response

    return error_response(404, "There is no such moderation action.")


# --- moving a post into a private conversation ------------------------------------------------


def _staff_form(template: str, run, done: str, **context):
    """GET shows the form; POST runs the action and goes to the thread it returns, or re-shows the
    form (422) with the typed values and the field messages."""
    if request.method == "GET":
        return render_page(template, typed={}, errors={}, **context)
    try:
        result = run()
    except ValidationFailed as error:
        return render_page(template, 422, typed=request.form, errors=error.fields or {"form": error.message}, **context)
    flash(done, "success")
    return redirect(thread_url(result))


@bp.route("/mod/posts/<int:post_id>/make-private", methods=["GET", "POST"])
@login_required
def make_private(post_id: int):
    user = moderation.require_moderator(viewer())
    post = forum.post_for_viewer(user, post_id)
    run = lambda: private_threads.move_post_to_private(user, post_id, request.form.get("title"), _reason())  # noqa: E731
    return _staff_form("mod/make_private.html", run, "The post is now a private conversation with its author.", post=post)


# --- threads ------------------------------------------------------------------------------------


SWITCH_MESSAGES = {"lock": "Thread locked.", "unlock": "Thread unlocked.", "pin": "Thread pinned.", "unpin": "Thread unpinned."}


@bp.route("/mod/threads/<int:thread_id>/<action>", methods=["POST"])
@login_required
def thread_switch(thread_id: int, action: str):
    if action not in moderation.THREAD_SWITCHES:
        return _not_found()
    thread = moderation.switch_thread(viewer(), thread_id, action, _reason())
    flash(SWITCH_MESSAGES[action], "success")
    return redirect(_back(thread_url(thread)))


@bp.route("/mod/threads/<int:thread_id>/move", methods=["GET", "POST"])
@login_required
def move(thread_id: int):
    user = moderation.require_moderator(viewer())
    thread = forum.thread_for_viewer(user, thread_id)
    run = lambda: moderation.move_thread(user, thread_id, _int_or_none(request.form.get("category")), _reason())  # noqa: E731
    return _staff_form("mod/move.html", run, "The thread was moved.", thread=thread, categories=forum.readable_categories(user))


@bp.route("/mod/threads/<int:thread_id>/merge", methods=["GET", "POST"])
@login_required
def merge(thread_id: int):
    user = moderation.require_moderator(viewer())
    thread = forum.thread_for_viewer(user, thread_id)
    run = lambda: moderation.merge_threads(user, thread_id, _int_or_none(request.form.get("target")), _reason())  # noqa: E731
    return _staff_form("mod/merge.html", run, "The threads were merged.", thread=thread)


# --- members ------------------------------------------------------------------------------------


@bp.route("/mod/users/<int:user_id>")
@login_required
def member(user_id: int):
    return _member_page(moderation.member_for_staff(viewer(), user_id), {}, {})


def _member_page(member, typed, errors, status: int = 200):
    return render_page("mod/member.html", status, member=member, typed=typed, errors=errors,
                   can_act=policies.can_suspend(viewer(), member))


@bp.route("/mod/users/<int:user_id>/<action>", methods=["POST"])
@login_required
def member_action(user_id: int, action: str):
    user = viewer()
    actions = {
        "suspend": lambda: moderation.suspend_user(user, user_id, request.form.get("days"), _reason()),
        "unsuspend": lambda: moderation.unsuspend_user(user, user_id, _reason()),
        "ban": lambda: moderation.set_banned(user, user_id, True, _reason()),
        "unban": lambda: moderation.set_banned(user, user_id, False, _reason()),
    }
    if action not in actions:
        return _not_found()
    try:
        member = actions[action]()
    except ValidationFailed as error:
        return _member_page(moderation.member_for_staff(user, user_id), request.form, error.fields, 422)
    flash(f"{member.display_name}: {action} done.", "success")
    return redirect(url_for("mod.member", user_id=user_id))


# --- watched words (admins) -----------------------------------------------------------------------


@bp.route("/mod/watched-words", methods=["GET", "POST"])
@login_required
def watched_words():
    user = viewer()
    if request.method == "GET":
        return render_page("mod/watched_words.html", words=spam.watched_word_rows(user), typed={}, errors={})
    try:
        spam.add_watched_word(user, request.form.get("word"))
    except ValidationFailed as error:
        return render_page("mod/watched_words.html", 422, words=spam.watched_word_rows(user), typed=request.form, errors=error.fields)
    flash("The word is on the list.", "success")
    return redirect(url_for("mod.watched_words"))


@bp.route("/mod/watched-words/<int:word_id>/delete", methods=["POST"])
@login_required
def remove_watched_word(word_id: int):
    spam.remove_watched_word(viewer(), word_id)
    flash("The word is off the list.", "success")
    return redirect(url_for("mod.watched_words"))


# --- the audit log ------------------------------------------------------------------------------


@bp.route("/staff/audit")
@login_required
def audit():
    filters = audit_log.AuditFilters(**{
        name: request.args.get(name, "").strip()[:100] for name in ("actor", "action", "target_type", "since", "until")
    })
    user = viewer()
    try:
        entries = audit_log.audit_entries(user, filters, forum.page_number(request.args.get("page")))
    except ValidationFailed as error:
        return _audit_page(filters, None, error.fields, 422)
    return _audit_page(filters, entries, {})


def _audit_page(filters, entries, errors, status: int = 200):
    return render_page(
        "mod/audit.html", status, filters=filters, entries=entries, errors=errors,
        actions=audit_log.known_actions(), target_types=audit_log.known_target_types(),
    )
