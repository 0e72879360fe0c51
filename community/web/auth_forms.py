"""WTForms for sign-up, sign-in, password reset and account settings.

Forms check presence and shape only; the account rules live in services.accounts, and their
field messages are copied back onto these forms by `apply_errors`.
"""
from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, EmailField, HiddenField, PasswordField, StringField, TextAreaField
from wtforms.validators import DataRequired, EqualTo

from ..errors import ValidationFailed


class SignUpForm(FlaskForm):
    email = EmailField("Email address", validators=[DataRequired("Enter your email address.")])
    display_name = StringField("Display name", validators=[DataRequired("Enter the name others will see.")])
    password = PasswordField("Password", validators=[DataRequired("Choose a password.")])
    next = HiddenField()


class SignInForm(FlaskForm):
    email = EmailField("Email address", validators=[DataRequired("Enter your email address.")])
    password = PasswordField("Password", validators=[DataRequired("Enter your password.")])
    remember = BooleanField("Keep me signed in on this device")
    next = HiddenField()


class EmailOnlyForm(FlaskForm):
    email = EmailField("Email address", validators=[DataRequired("Enter your email address.")])


class ConfirmForm(FlaskForm):
    """A button and its CSRF token (confirm links, resend, remove avatar)."""


class ResetPasswordForm(FlaskForm):
    password = PasswordField("New password", validators=[DataRequired("Choose a new password.")])
    confirm = PasswordField(
        "Repeat the new password",
        validators=[DataRequired("Repeat the new password."), EqualTo("password", "The two passwords differ.")],
    )


class ProfileForm(FlaskForm):
    display_name = StringField("Display name", validators=[DataRequired("Enter the name others will see.")])
    username = StringField("Username", validators=[DataRequired("Choose a username.")])
    bio = TextAreaField("About you")


class _Prefixed(FlaskForm):
    """Settings forms share one page; a prefix keeps their field ids and names apart."""

    default_prefix = ""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("prefix", self.default_prefix)
        super().__init__(*args, **kwargs)


class ChangeEmailForm(_Prefixed):
    default_prefix = "change"
    email = EmailField("New email address", validators=[DataRequired("Enter the new email address.")])
    current_password = PasswordField("Current password", validators=[DataRequired("Enter your current password.")])


class ChangePasswordForm(_Prefixed):
    default_prefix = "pw"
    current_password = PasswordField("Current password", validators=[DataRequired("Enter your current password.")])
    new_password = PasswordField("New password", validators=[DataRequired("Choose a new password.")])
    confirm = PasswordField(
        "Repeat the new password",
        validators=[DataRequired("Repeat the new password."), EqualTo("new_password", "The two passwords differ.")],
    )


class AvatarForm(FlaskForm):
    avatar = FileField("Upload a picture")


class DeleteAccountForm(FlaskForm):
    password = PasswordField("Your password", validators=[DataRequired("Enter your password to confirm.")])


def apply_errors(form: FlaskForm, failed: ValidationFailed) -> str | None:
    """Put a service's field messages on the form; return any message no field can show."""
    leftover = []
    for name, message in failed.fields.items():
        field = getattr(form, name, None)
        if field is None:
            leftover.append(message)
        else:
            field.errors = [*(field.errors or []), message] if isinstance(field.errors, list) else [message]
    if failed.message and not failed.fields:
        leftover.append(failed.message)
    return " ".join(leftover) or None
