"""Notifications: the list, mark read, per-kind preferences and one-click unsubscribe."""
from __future__ import annotations

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from flask_login import login_required
from flask_wtf import FlaskForm
from wtforms import RadioField
from wtforms.fields.choices import SelectChoice

from ..errors import ValidationFailed
from ..extensions import csrf
from ..services import notification_emails, notifications
from . import reader
from ..services.forum import page_number
from .auth_forms import apply_errors
from .errors import wants_json
from .helpers import viewer

bp = Blueprint("notifications", __name__, url_prefix="/notifications")

CHANNEL_CHOICES = [
    SelectChoice("email", "In-app and email"), SelectChoice("in_app", "In-app only"), SelectChoice("off", "Off"),
]
FREQUENCY_CHOICES = [
    SelectChoice("immediately", "Immediately, one email each"), SelectChoice("daily", "Once a day, as a digest"),
]


@bp.app_context_processor
def inject_unread_count() -> dict:
    # A callable, so only pages that show the bell (signed-in viewers) ask; on GET and HEAD the count
    # came with the user row (web/reader.py).
    return {"unread_notifications": lambda: reader.unread_for_bell(viewer())}


# --- the list ------------------------------------------------------------------------------------


def _item(row) -> dict:
    readable = notifications.still_readable(viewer(), row)
    endpoint, values = notification_emails.target_path_values(row)
    return {
        "id": row.id,
        "kind": row.kind,
        "unread": row.read_at is None,
        "created_at": row.created_at,
        "readable": readable,
        "summary": notification_emails.summary(row) if readable else "Something you can no longer see",
        "url": url_for(endpoint, **values) if readable else None,
    }


@bp.route("")
@login_required
def index():
    page = notifications.notifications_page(viewer(), page_number(request.args.get("page")))
    items = [_item(row) for row in page.items]
    if wants_json():
        return jsonify({
            "notifications": [{**item, "created_at": item["created_at"].isoformat()} for item in items],
            "unread": notifications.unread_count(viewer()), "page": page.number, "pages": page.pages,
        })
    return render_template("notifications/index.html", page=page, items=items)


def _back_to_list():
    if wants_json():
        return jsonify({"unread": notifications.unread_count(viewer())})
    return redirect(url_for("notifications.index", page=request.form.get("page") or None))


@bp.route("/<int:notification_id>/read", methods=["POST"])
@login_required
def mark_read(notification_id: int):
    notifications.mark_read(viewer(), notification_id)
    return _back_to_list()


@bp.route("/read-all", methods=["POST"])
@login_required
def mark_all_read():
    count = notifications.mark_all_read(viewer())
    if not wants_json():
        flash(f"Marked {count} notification{'s' if count != 1 else ''} read.", "success")
    return _back_to_list()


# --- preferences ---------------------------------------------------------------------------------


class PreferencesForm(FlaskForm):
    email_frequency = RadioField("Send notification emails", choices=FREQUENCY_CHOICES)


for _kind, _info in notifications.KINDS.items():
    setattr(PreferencesForm, _kind, RadioField(_info.label, choices=CHANNEL_CHOICES))


def _preferences_page(form: PreferencesForm, status: int = 200, error: str | None = None):
    rows = [(form[kind], info) for kind, info in notifications.KINDS.items()]
    return render_template(
        "notifications/preferences.html", form=form, rows=rows, channels=CHANNEL_CHOICES, error=error
    ), status


@bp.route("/settings", methods=["GET"])
@login_required
def preferences():
    user = viewer()
    current = {kind: channel.value for kind, channel in notifications.channels_for(user.id).items()}
    current["email_frequency"] = notifications.email_frequency(user.id).value
    return _preferences_page(PreferencesForm(formdata=None, data=current))


@bp.route("/settings", methods=["POST"])
@login_required
def save_preferences():
    form = PreferencesForm()
    if not form.validate_on_submit():
        return _preferences_page(form, 422, "Please fix the marked fields.")
    channels = {kind: form[kind].data for kind in notifications.KINDS}
    try:
        notifications.save_preferences(viewer(), channels, form.email_frequency.data)
    except ValidationFailed as failed:
        return _preferences_page(form, failed.status_code, apply_errors(form, failed) or failed.message)
    flash("Your notification settings are saved.", "success")
    return redirect(url_for("notifications.preferences"))


# --- one-click unsubscribe -----------------------------------------------------------------------


@bp.route("/unsubscribe/<token>", methods=["GET"])
def unsubscribe(token: str):
    user, kind = notification_emails.read_unsubscribe_token(token)
    return render_template("notifications/unsubscribe.html", user=user, label=_label(kind), token=token, done=False)


# CSRF exemption, deliberately: RFC 8058 mail clients POST "List-Unsubscribe=One-Click" to this URL
# with no session and no form token. What authorises the change is the signed token in the URL (only
# the recipient's mailbox has it), not a session cookie, so there is no session for CSRF to protect,
# and the only thing it can do is stop emails.
@csrf.exempt
@bp.route("/unsubscribe/<token>", methods=["POST"])
def unsubscribe_confirmed(token: str):
    user, kind = notification_emails.read_unsubscribe_token(token)
    notifications.stop_emails(user.id, kind)
    if request.form.get("List-Unsubscribe") == "One-Click":
        return "Unsubscribed.", 200, {"Content-Type": "text/plain; charset=utf-8"}
    return render_template("notifications/unsubscribe.html", user=user, label=_label(kind), token=token, done=True)


def _label(kind: str) -> str:
    if kind == notifications.ALL_KINDS:
        return "all notification emails"
    return f"emails for “{notifications.KINDS[kind].label}”"
