"""Attachments over HTTP: the composer's JSON upload, serving files after the read check (how:
serving.py), and the admin page for the extension list. Thin: parse, call the service, answer."""
from __future__ import annotations

from flask import Blueprint, current_app, flash, jsonify, make_response, redirect, request, url_for
from flask_login import login_required

from .. import policies
from ..errors import ServiceError, ValidationFailed
from ..extensions import limiter
from ..storage import StorageError
from ..web.errors import json_error
from ..web.guards import require
from ..models import FLAG_REASON_LABELS
from ..web.helpers import post_url, render_page, viewer
from ..web.security import safe_next
from . import files, moderation, service, serving

bp = Blueprint("attachments", __name__)
admin_bp = Blueprint("attachments_admin", __name__, url_prefix="/admin/attachments")
admin_bp.before_request(require(policies.can_manage_site, "Only administrators can change attachment settings."))

def _uploader_key() -> str:
    user = viewer()
    return f"user:{user.id}" if user is not None else f"ip:{request.remote_addr}"


upload_limit = limiter.limit(lambda: current_app.config["RATELIMIT_ATTACHMENTS"], key_func=_uploader_key, methods=["POST"])


@bp.route("/attachments", methods=["POST"])
@upload_limit
def upload():
    """multipart/form-data with one `file`; JSON back: the Markdown to insert, or the refusal."""
    user = viewer()
    if user is None:
        return json_error(401, "Your session ended; sign in again in another tab, then retry. Your text is still here.")
    sent = request.files.get("file")
    if sent is None:
        return json_error(400, "Choose a file to attach.")
    try:
        attachment = service.upload(user, sent.filename, sent.stream)
    except ServiceError as refused:
        return json_error(refused.status_code, refused.message or "This file can't be attached.")
    except StorageError:
        current_app.logger.warning("attachment store unavailable during an upload")
        return json_error(503, "The file store is not answering right now; try again in a minute. Your text is still here.")
    ref = service.reference(attachment)
    label = attachment.name.replace("[", "(").replace("]", ")")
    markdown = f"![{label}](attachment:{attachment.id})" if attachment.is_image else f"[{label}](attachment:{attachment.id})"
    return make_response(jsonify(
        id=attachment.id, name=attachment.name, is_image=attachment.is_image, size=attachment.size_bytes,
        size_label=ref.size_label, type_label=ref.type_label, url=ref.url, markdown=markdown,
    ), 201)


def reader():
    """Who reads: the session's member, or the user of an API token sent as a bearer (read scope),
    so the URLs in API post objects work for API clients under the same rule."""
    from ..api import tokens
    from ..services import api_tokens

    if tokens.bearer_secret() is None:
        return viewer()
    token = tokens.current_token()
    return token.user if token is not None and api_tokens.has_scope(token, "read") else None


@bp.route("/attachments/<int:attachment_id>/thumbnail")
def thumbnail(attachment_id: int):
    attachment = service.readable(reader(), attachment_id)
    if not attachment.thumbnail_key:
        return redirect(service.file_path(attachment))
    return _serve(attachment, thumbnail=True)


@bp.route("/attachments/<int:attachment_id>/<name>")
def download(attachment_id: int, name: str):
    return _serve(service.readable(reader(), attachment_id), thumbnail=False)


def _serve(attachment, thumbnail: bool):
    path = service.thumbnail_path(attachment) if thumbnail else service.file_path(attachment)
    sent = serving.delivery(attachment, thumbnail, path)
    response = serving.respond(current_app._get_current_object(), sent, request.environ)
    return response if response is not None else _error_page_missing()


def _error_page_missing():
    from ..services.forum import Unreadable

    raise Unreadable()


# --- moderation -------------------------------------------------------------------------------


@bp.route("/attachments/<int:attachment_id>/flag", methods=["GET", "POST"])
@login_required
def flag(attachment_id: int):
    """A reader reports one file (the lightbox and the post's flag page link here)."""
    user = viewer()
    attachment = service.readable(user, attachment_id)
    if request.method == "POST":
        try:
            moderation.flag_file(user, attachment_id, request.form.get("reason"), request.form.get("note", ""))
        except ValidationFailed as refused:
            return _flag_form(attachment, request.form, refused.fields, 422)
        flash("Thanks for the report. Staff will look at the file.", "success")
        return redirect(post_url(attachment.post))
    return _flag_form(attachment, {}, {})


def _flag_form(attachment, typed, errors, status: int = 200):
    return render_page(
        "attachments/flag.html", status, attachment=attachment, ref=service.reference(attachment), typed=typed,
        errors=errors, reasons=FLAG_REASON_LABELS,
    )


FILE_ACTIONS = {
    "remove": (lambda user, attachment_id, reason: moderation.remove_file(user, attachment_id, reason), "The file was removed."),
    "dismiss": (lambda user, attachment_id, reason: moderation.dismiss_file_flags(user, attachment_id, reason), "Flags dismissed."),
}


@bp.route("/mod/attachments/<int:attachment_id>/<action>", methods=["POST"])
@login_required
def file_action(attachment_id: int, action: str):
    """Staff act on a flagged file from the moderation queue (or the thread)."""
    if action not in FILE_ACTIONS:
        from ..services.forum import Unreadable

        raise Unreadable()
    run, message = FILE_ACTIONS[action]
    run(viewer(), attachment_id, request.form.get("reason", ""))
    flash(message, "success")
    return redirect(safe_next(request.form.get("next"), url_for("mod.queue")))


# --- admin ------------------------------------------------------------------------------------


@admin_bp.route("", methods=["GET", "POST"])
def settings():
    if request.method == "POST":
        try:
            saved = service.save_extensions(viewer(), request.form.get("extensions"), request.form.get("new_account_images_only_days", ""))
        except ServiceError as refused:
            return render_page(
                "admin/attachments.html", 422, allowed=service.allowed_extensions(), known=sorted(files.KNOWN),
                size_label=service.size_label, typed=request.form, errors=getattr(refused, "fields", {}) or {},
            )
        flash("Members may now attach images and: " + (", ".join(saved) or "no other files") + ".", "success")
        return redirect(url_for("attachments_admin.settings"))
    return render_page(
        "admin/attachments.html", allowed=service.allowed_extensions(), known=sorted(files.KNOWN),
        size_label=service.size_label, typed={"new_account_images_only_days": service.images_only_days()}, errors={},
    )
