"""Sign-up, email verification, sign-in/out, password reset."""
from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import login_user, logout_user

from .. import policies
from ..errors import ValidationFailed
from ..identity import views as identity_views
from ..extensions import limiter
from ..services import accounts
from ..services.tokens import TokenInvalid
from .auth_forms import ConfirmForm, EmailOnlyForm, ResetPasswordForm, SignInForm, SignUpForm, apply_errors
from .helpers import viewer
from .security import safe_next

bp = Blueprint("auth", __name__)
SSO_ONLY_MESSAGE = "Passwords are turned off here: sign in with your company account below."


def rate_limit(setting: str):
    """A POST-only limit read from app.config at request time, so each app's setting applies."""
    return limiter.limit(lambda: current_app.config[setting], methods=["POST"], key_func=_client_key)


def _client_key() -> str:
    # The limiter keeps the first app's key prefix for the process; adding this app's own keeps
    # apps that share one Redis (parallel test runs, several sites) from counting each other.
    return f"{current_app.config.get('RATELIMIT_KEY_PREFIX', '')}:{request.remote_addr or 'unknown'}"


def _next_param() -> str:
    """`next` from the query string. Flask-Login sends absolute URLs of this host; keep their path."""
    target = request.args.get("next", "")
    if target.startswith(request.host_url):
        target = "/" + target[len(request.host_url):]
    return target


def _form_page(template: str, form, status: int = 200, **context):
    return render_template(template, form=form, **context), status


def _failed(template: str, form, failed: ValidationFailed, **context):
    message = apply_errors(form, failed)
    return _form_page(template, form, failed.status_code, error=message or failed.message, **context)


@bp.route("/sign-up", methods=["GET", "POST"])
@rate_limit("RATELIMIT_SIGNUP")
def sign_up():
    form = SignUpForm(next=_next_param())
    if viewer() is not None:
        return redirect(safe_next(form.next.data))
    if current_app.config["SSO_ONLY"]:
        flash("New accounts are made by signing in with your company account.", "info")
        return redirect(url_for("auth.sign_in", next=form.next.data or None))
    if not form.validate_on_submit():
        return _form_page("auth/sign_up.html", form, 422 if form.is_submitted() else 200)
    try:
        user = accounts.sign_up(accounts.SignUp(form.email.data, form.display_name.data, form.password.data))
    except ValidationFailed as failed:
        return _failed("auth/sign_up.html", form, failed)
    login_user(accounts.begin_login(user))
    flash(f"Welcome, {user.display_name}! We sent a confirmation link to {user.email}.", "success")
    return redirect(safe_next(form.next.data))


@bp.route("/sign-in", methods=["GET", "POST"])
@rate_limit("RATELIMIT_SIGNIN")
def sign_in():
    form = SignInForm(next=_next_param())
    if not form.validate_on_submit():
        return _form_page("auth/sign_in.html", form, 422 if form.is_submitted() else 200)
    try:
        user = accounts.authenticate(form.email.data, form.password.data)
        if not policies.can_sign_in_with_password(user, current_app.config["SSO_ONLY"], _break_glass()):
            return _form_page("auth/sign_in.html", form, 403, error=SSO_ONLY_MESSAGE)
    except accounts.AccountBlocked as blocked:
        return _form_page("auth/sign_in.html", form, blocked.status_code, error=blocked.message)
    except ValidationFailed as failed:
        return _failed("auth/sign_in.html", form, failed)
    login_user(accounts.begin_login(user), remember=form.remember.data)
    flash(f"Signed in as {user.display_name}.", "success")
    return redirect(safe_next(form.next.data))


def _break_glass() -> frozenset[str]:
    return frozenset(email.lower() for email in str(current_app.config["SSO_BREAK_GLASS_EMAILS"]).split())


@bp.route("/sign-out", methods=["POST"])
def sign_out():
    user = viewer()
    identity_views.remember_for_logout(user.login_id if user is not None else None)
    accounts.end_login(user)
    logout_user()
    flash("You are signed out.", "info")
    return identity_views.after_sign_out() or redirect(url_for("forum.index"))


def token_problem(error: TokenInvalid):
    return render_template("auth/token_invalid.html", error=error), 400


@bp.route("/verify-email/<token>", methods=["GET", "POST"])
def verify_email(token: str):
    form = ConfirmForm()
    try:
        if not form.validate_on_submit():
            # Showing a button first keeps mail scanners that prefetch links from spending them.
            accounts.check_email_token(token)
            return render_template("auth/verify_email.html", form=form)
        accounts.verify_email(token)
    except TokenInvalid as error:
        return token_problem(error)
    flash("Thanks! Your email address is confirmed.", "success")
    return redirect(url_for("forum.index"))


@bp.route("/verify-email/resend", methods=["GET", "POST"])
@rate_limit("RATELIMIT_RESET")
def resend_verification():
    user = viewer()
    form = ConfirmForm() if user is not None else EmailOnlyForm()
    if not form.validate_on_submit():
        return _form_page("auth/resend_verification.html", form, 422 if form.is_submitted() else 200)
    try:
        if user is not None:
            accounts.resend_verification(user)
        else:
            accounts.resend_verification_to(form.email.data)
    except ValidationFailed as failed:
        return _failed("auth/resend_verification.html", form, failed)
    flash("If that address has an unconfirmed account, a new confirmation link is on its way.", "success")
    return redirect(url_for("forum.index"))


@bp.route("/password/forgot", methods=["GET", "POST"])
@rate_limit("RATELIMIT_RESET")
def forgot_password():
    form = EmailOnlyForm()
    if not form.validate_on_submit():
        return _form_page("auth/forgot_password.html", form, 422 if form.is_submitted() else 200)
    try:
        accounts.request_password_reset(form.email.data)
    except ValidationFailed as failed:
        return _failed("auth/forgot_password.html", form, failed)
    return render_template("auth/check_email.html", email=form.email.data)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    form = ResetPasswordForm()
    try:
        if not form.validate_on_submit():
            accounts.check_reset_token(token)
            return _form_page("auth/reset_password.html", form, 422 if form.is_submitted() else 200)
        user = accounts.reset_password(token, form.password.data)
    except TokenInvalid as error:
        return token_problem(error)
    except ValidationFailed as failed:
        return _failed("auth/reset_password.html", form, failed)
    login_user(accounts.begin_login(user))
    flash("Your password is changed and you are signed in. Other sessions were signed out.", "success")
    return redirect(url_for("forum.index"))
