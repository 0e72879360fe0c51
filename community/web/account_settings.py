"""Profiles, account settings and avatars."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import login_required, login_user, logout_user
from werkzeug.exceptions import RequestEntityTooLarge

from ..errors import ValidationFailed
from ..extensions import db
from ..models import User
from ..services import accounts, avatars
from ..services.tokens import TokenInvalid
from ..tags import watching
from .auth import token_problem
from .auth_forms import (
    AvatarForm, ChangeEmailForm, ChangePasswordForm, ConfirmForm, DeleteAccountForm, ProfileForm, apply_errors,
)
from .fragments import avatar_url
from .helpers import viewer

bp = Blueprint("account", __name__)


@bp.app_context_processor
def inject_avatar_url() -> dict:
    return {"avatar_url": avatar_url}


@bp.route("/avatars/<int:user_id>.png")
def avatar(user_id: int):
    user = db.session.get(User, user_id)
    png = avatars.avatar_png(user.avatar_path) if user is not None else None
    if png is None:
        abort(404)
    response = current_app.response_class(png, mimetype="image/png")
    response.cache_control.max_age = 86400
    response.cache_control.public = True
    return response


@bp.route("/avatars/<int:user_id>.svg")
def initials_avatar(user_id: int):
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    response = current_app.response_class(avatars.initials_svg(user), mimetype="image/svg+xml")
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response


# --- settings ------------------------------------------------------------------------------------


def _settings_forms(user: User, **overrides) -> dict:
    forms = {
        "profile_form": ProfileForm(formdata=None, obj=user),
        "email_form": ChangeEmailForm(formdata=None),
        "password_form": ChangePasswordForm(formdata=None),
        "avatar_form": AvatarForm(formdata=None),
        "remove_avatar_form": ConfirmForm(formdata=None),
        "resend_form": ConfirmForm(formdata=None),
    }
    forms.update(overrides)
    return forms


def _settings_page(status: int = 200, error: str | None = None, **overrides):
    user = viewer()
    page = render_template(
        "account/settings.html", user=user, error=error, watched=watching.watch_list(user), **_settings_forms(user, **overrides)
    )
    return page, status


def _settings_failed(form_key: str, form, failed: ValidationFailed):
    message = apply_errors(form, failed)
    return _settings_page(failed.status_code, message or failed.message, **{form_key: form})


@bp.route("/settings")
@login_required
def settings():
    return _settings_page()


@bp.route("/settings/appearance", methods=["POST"])
@login_required
def update_appearance():
    try:
        accounts.set_color_scheme(viewer(), request.form.get("color_scheme"))
    except ValidationFailed as failed:
        return _settings_page(failed.status_code, failed.fields["color_scheme"])
    flash("Appearance saved.", "success")
    return redirect(url_for("account.settings") + "#appearance-heading")


@bp.route("/settings/profile", methods=["POST"])
@login_required
def update_profile():
    form = ProfileForm()
    if not form.validate_on_submit():
        return _settings_page(422, profile_form=form)
    change = accounts.ProfileChange(form.display_name.data, form.username.data, form.bio.data or "")
    try:
        accounts.update_profile(viewer(), change)
    except ValidationFailed as failed:
        return _settings_failed("profile_form", form, failed)
    flash("Your profile is saved.", "success")
    return redirect(url_for("account.settings"))


@bp.route("/settings/email", methods=["POST"])
@login_required
def change_email():
    form = ChangeEmailForm()
    if not form.validate_on_submit():
        return _settings_page(422, email_form=form)
    try:
        email = accounts.request_email_change(viewer(), form.email.data, form.current_password.data)
    except ValidationFailed as failed:
        return _settings_failed("email_form", form, failed)
    flash(f"We sent a confirmation link to {email}. Your email changes when you follow it.", "success")
    return redirect(url_for("account.settings"))


@bp.route("/settings/email/confirm/<token>", methods=["GET", "POST"])
def confirm_email(token: str):
    form = ConfirmForm()
    try:
        if not form.validate_on_submit():
            payload = accounts.check_email_token(token, "change-email")
            return render_template("account/confirm_email.html", form=form, email=payload.get("email"))
        user = accounts.confirm_email_change(token)
    except TokenInvalid as error:
        return token_problem(error)
    flash(f"Your email address is now {user.email}.", "success")
    return redirect(url_for("account.settings") if viewer() else url_for("forum.index"))


@bp.route("/settings/password", methods=["POST"])
@login_required
def change_password():
    form = ChangePasswordForm()
    if not form.validate_on_submit():
        return _settings_page(422, password_form=form)
    try:
        user = accounts.change_password(viewer(), form.current_password.data, form.new_password.data)
    except ValidationFailed as failed:
        return _settings_failed("password_form", form, failed)
    # The session version moved on: sign this browser in again so only the other sessions end.
    login_user(user, remember=bool(request.cookies.get(current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token"))))
    flash("Your password is changed. Other devices were signed out.", "success")
    return redirect(url_for("account.settings"))


@bp.route("/settings/avatar", methods=["POST"])
@login_required
def upload_avatar():
    try:
        form = AvatarForm()
        upload = form.avatar.data if form.validate_on_submit() else None
    except RequestEntityTooLarge:
        return _settings_page(413, "That upload is too large.")
    if upload is None or not getattr(upload, "filename", ""):
        form.avatar.errors = ["Choose an image file to upload."]
        return _settings_page(422, avatar_form=form)
    try:
        avatars.set_avatar(viewer(), upload.stream)
    except ValidationFailed as failed:
        apply_errors(form, failed)
        return _settings_page(failed.status_code, avatar_form=form)
    flash("Your new picture is saved.", "success")
    return redirect(url_for("account.settings"))


@bp.route("/settings/avatar/remove", methods=["POST"])
@login_required
def remove_avatar():
    if ConfirmForm().validate_on_submit():
        avatars.remove_avatar(viewer())
        flash("Your picture is removed; your initials show instead.", "success")
    return redirect(url_for("account.settings"))


@bp.route("/settings/delete", methods=["GET", "POST"])
@login_required
def delete_account():
    form = DeleteAccountForm()
    if not form.validate_on_submit():
        status = 422 if form.is_submitted() else 200
        return render_template("account/delete.html", form=form), status
    try:
        accounts.delete_account(viewer(), form.password.data)
    except ValidationFailed as failed:
        apply_errors(form, failed)
        return render_template("account/delete.html", form=form), failed.status_code
    logout_user()
    flash("Your account is deleted. Your posts remain, shown as by a former member.", "success")
    return redirect(url_for("forum.index"))
