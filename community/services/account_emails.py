"""Jobs that email account links. Each takes ids, loads fresh rows and is safe to run twice
(a second run only sends another valid link)."""
from __future__ import annotations

from flask import current_app

from ..extensions import db
from ..jobs.registry import job
from ..models import User
from . import tokens
from .branding import get_branding
from .mail import absolute_url, send_email


def _hours(setting: str) -> int:
    return max(1, int(current_app.config[setting]) // 3600)


@job("accounts.send_verification_email")
def send_verification_email(user_id: int) -> None:
    user = db.session.get(User, user_id)
    if user is None or not user.is_active or user.email_verified:
        return
    token = tokens.make_token(tokens.VERIFY_EMAIL, user.id, email=user.email_normalized)
    send_email(
        user.email, f"Confirm your email for {get_branding()['name']}", "verify_email",
        user=user, link=absolute_url("auth.verify_email", token=token), hours=_hours("EMAIL_TOKEN_MAX_AGE"),
    )


@job("accounts.send_email_change_email")
def send_email_change_email(user_id: int, new_email: str) -> None:
    user = db.session.get(User, user_id)
    if user is None or not user.is_active or user.email_normalized == new_email.lower():
        return
    token = tokens.make_token(tokens.CHANGE_EMAIL, user.id, email=new_email)
    send_email(
        new_email, f"Confirm your new email for {get_branding()['name']}", "change_email",
        user=user, link=absolute_url("account.confirm_email", token=token), hours=_hours("EMAIL_TOKEN_MAX_AGE"),
    )


@job("accounts.send_email_changed_notice")
def send_email_changed_notice(user_id: int, old_email: str) -> None:
    user = db.session.get(User, user_id)
    if user is None or not user.is_active:
        return
    send_email(
        old_email, f"Your email for {get_branding()['name']} was changed", "email_changed",
        user=user, link=absolute_url("auth.forgot_password"),
    )


@job("accounts.send_password_reset_email")
def send_password_reset_email(user_id: int) -> None:
    user = db.session.get(User, user_id)
    if user is None or not user.is_active:
        return
    token = tokens.make_token(tokens.RESET_PASSWORD, user.id, pw=tokens.password_fingerprint(user.password_hash))
    send_email(
        user.email, f"Reset your password for {get_branding()['name']}", "reset_password",
        user=user, link=absolute_url("auth.reset_password", token=token), hours=_hours("RESET_TOKEN_MAX_AGE"),
    )
