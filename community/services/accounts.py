"""Accounts: sign-up, sign-in, verification, password reset, settings, deletion."""
from __future__ import annotations

import re
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import quote

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_login.config import COOKIE_DURATION
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from ..composer import cleanup as drafts
from ..errors import ServiceError, ValidationFailed
from ..extensions import db
from ..jobs.queue import enqueue
from ..jobs.registry import job
from ..models import RevokedLogin, User, utcnow
from . import account_emails, avatars, tokens
from ..rows import insert_once
from .passwords import hash_password, password_problem, verify_password

DISPLAY_NAME_MAX = 80
BIO_MAX = 500
EMAIL_MAX = 254
LOGIN_ID_MAX = 32
USERNAME_RE = re.compile(r"[a-z0-9][a-z0-9_-]{1,28}[a-z0-9]")
RESERVED_USERNAMES = frozenset(
    {"admin", "administrator", "staff", "moderator", "support", "system", "settings", "me", "new", "deleted", "anonymous"}
)
DUPLICATE_EMAIL = "An account with this email already exists. Sign in, or reset your password."
WRONG_CREDENTIALS = "The email or password is incorrect."


class AccountBlocked(ServiceError):
    """The password was right but the account may not sign in (banned or suspended)."""

    status_code = 403


def begin_login(user: User) -> User:
    """Give this sign-in its own id (in the session and remember-me cookie) before login_user."""
    user.login_id = secrets.token_urlsafe(16)
    return user


def end_login(user: User | None) -> None:
    """Signing out: this sign-in's cookies stop working, copies included, until they would have
    expired anyway. Sign-ins made before login ids existed end only in this browser."""
    if user is None or not user.login_id:
        return
    remember = current_app.config.get("REMEMBER_COOKIE_DURATION") or COOKIE_DURATION
    if not isinstance(remember, timedelta):
        remember = timedelta(seconds=int(remember))
    longest = max(current_app.permanent_session_lifetime, remember)
    insert_once(RevokedLogin(login_id=user.login_id, user_id=user.id, expires_at=utcnow() + longest))


@job("accounts.prune_revoked_logins")
def prune_revoked_logins() -> int:
    """Periodic job: forget revoked sign-ins whose cookies have expired anyway."""
    deleted = db.session.execute(delete(RevokedLogin).where(RevokedLogin.expires_at < utcnow())).rowcount
    db.session.commit()
    return deleted


# --- input rules ---------------------------------------------------------------------------------


def _has_bad_characters(value: str) -> bool:
    # Control characters (NUL breaks PostgreSQL) and U+FFFD, what undecodable bytes turn into.
    return any(ord(ch) < 32 and ch not in "\n\r\t" for ch in value) or "\ufffd" in value


def clean_text(value: str | None, field: str, label: str, max_length: int, *, required: bool = True) -> str:
    text = (value or "").strip()
    if _has_bad_characters(text):
        raise ValidationFailed(fields={field: f"{label} contains characters that are not allowed."})
    if required and not text:
        raise ValidationFailed(fields={field: f"Enter your {label.lower()}."})
    if len(text) > max_length:
        raise ValidationFailed(fields={field: f"{label} can be at most {max_length} characters."})
    return text


def clean_email(value: str | None, field: str = "email") -> str:
    raw = clean_text(value, field, "Email address", EMAIL_MAX)
    try:
        return validate_email(raw, check_deliverability=False).normalized
    except EmailNotValidError:
        raise ValidationFailed(fields={field: "Enter a valid email address, like name@example.com."}) from None


def clean_display_name(value: str | None) -> str:
    name = clean_text(value, "display_name", "Display name", DISPLAY_NAME_MAX)
    if "\n" in name or "\r" in name or "\t" in name:
        raise ValidationFailed(fields={"display_name": "Display name must be a single line."})
    return name


def clean_username(value: str | None) -> str:
    username = clean_text(value, "username", "Username", 30).lower()
    if not USERNAME_RE.fullmatch(username):
        raise ValidationFailed(
            fields={"username": "Use 3–30 lower-case letters, digits, '-' or '_', starting and ending with a letter or digit."}
        )
    if username in RESERVED_USERNAMES or username.startswith("deleted-"):
        raise ValidationFailed(fields={"username": "This username is reserved. Choose another."})
    return username


def check_new_password(password: str | None, field: str, *avoid: str) -> str:
    password = password or ""
    problem = password_problem(password, min_length=int(current_app.config["PASSWORD_MIN_LENGTH"]), avoid=avoid)
    if problem:
        raise ValidationFailed(fields={field: problem})
    return password


def _check_current_password(user: User, password: str | None, field: str = "current_password") -> None:
    if not verify_password(user.password_hash, password or ""):
        raise ValidationFailed(fields={field: "That is not your current password."})


def username_base(display_name: str) -> str:
    """'Ada Lovelace' -> 'ada-lovelace': ASCII, lower-case, dashes; 'member' if nothing is left."""
    ascii_name = unicodedata.normalize("NFKD", display_name).encode("ascii", "ignore").decode()
    base = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:24].strip("-")
    if len(base) < 3 or base in RESERVED_USERNAMES or base.startswith("deleted"):
        base = f"{base}-member".strip("-") if base else "member"
    return base


def unique_username(display_name: str) -> str:
    base = username_base(display_name)
    taken = set(db.session.scalars(select(User.username).where(User.username.like(f"{base}%"))))
    if base not in taken:
        return base
    suffix = 2
    while f"{base}-{suffix}" in taken:
        suffix += 1
    return f"{base}-{suffix}"


def _email_taken(email_normalized: str, except_user_id: int | None = None) -> bool:
    query = select(User.id).where(User.email_normalized == email_normalized)
    if except_user_id is not None:
        query = query.where(User.id != except_user_id)
    return db.session.scalar(query) is not None


# --- sign-up and sign-in -------------------------------------------------------------------------


@dataclass
class SignUp:
    email: str
    display_name: str
    password: str


def sign_up(form: SignUp) -> User:
    """Create an unverified account and email it a verification link."""
    email, display_name = _collect_sign_up_errors(form)
    password_hash = hash_password(form.password)
    for _attempt in range(3):
        user = User(
            email=email, email_normalized=email.lower(), display_name=display_name,
            username=unique_username(display_name), password_hash=password_hash,
        )
        db.session.add(user)
        try:
            db.session.commit()
        except IntegrityError:
            # Lost a race: either the email (refuse) or the derived username (try the next one).
            db.session.rollback()
            if _email_taken(email.lower()):
                raise ValidationFailed(fields={"email": DUPLICATE_EMAIL}) from None
            continue
        enqueue(account_emails.send_verification_email, user.id)
        return user
    raise ValidationFailed(fields={"display_name": "Could not pick a username for this name. Please try again."})


def _collect_sign_up_errors(form: SignUp) -> tuple[str, str]:
    """Check every field, so the form shows all its problems at once."""
    errors: dict[str, str] = {}
    email = _checked(errors, lambda: clean_email(form.email))
    display_name = _checked(errors, lambda: clean_display_name(form.display_name))
    _checked(errors, lambda: check_new_password(form.password, "password", email, email.partition("@")[0], display_name))
    if email and _email_taken(email.lower()):
        errors["email"] = DUPLICATE_EMAIL
    if errors:
        raise ValidationFailed("Please correct the marked fields.", fields=errors)
    return email, display_name


def _checked(errors: dict[str, str], check) -> str:
    """Run one field check; on failure record its message and give back an empty value."""
    try:
        return check()
    except ValidationFailed as failed:
        errors.update(failed.fields)
        return ""


_dummy_hash: str | None = None


def _spend_equal_time(password: str) -> None:
    # Unknown emails still cost one hash check, so response time doesn't reveal which emails exist.
    global _dummy_hash
    if _dummy_hash is None:
        _dummy_hash = hash_password("parley-dummy-password")
    verify_password(_dummy_hash, password)


def authenticate(email: str | None, password: str | None) -> User:
    password = password or ""
    user = None
    try:
        # The same normalisation as sign-up, so "Ada@EXAMPLE.com " finds ada@example.com.
        email_key = clean_email(email).lower()
    except ValidationFailed:
        email_key = None
    if email_key:
        user = db.session.scalar(select(User).where(User.email_normalized == email_key))
    if user is None:
        _spend_equal_time(password)
        raise ValidationFailed(WRONG_CREDENTIALS, fields={"password": WRONG_CREDENTIALS})
    if not verify_password(user.password_hash, password):
        raise ValidationFailed(WRONG_CREDENTIALS, fields={"password": WRONG_CREDENTIALS})
    _refuse_blocked(user)
    user.last_seen_at = utcnow()
    db.session.commit()
    return user


def check_may_sign_in(user: User) -> None:
    """Raise unless this account may sign in now (deleted, banned, suspended: refused), whatever
    the way in: password or identity provider."""
    _refuse_blocked(user)


def _refuse_blocked(user: User) -> None:
    if user.deleted_at is not None:
        raise ValidationFailed(WRONG_CREDENTIALS, fields={"password": WRONG_CREDENTIALS})
    if user.is_banned:
        raise AccountBlocked("This account has been banned. Contact the community team if you think this is a mistake.")
    if user.suspended_until is not None and user.suspended_until > utcnow():
        until = user.suspended_until.strftime("%b %-d, %Y %H:%M UTC")
        reason = f" Reason: {user.suspension_reason}" if user.suspension_reason else ""
        raise AccountBlocked(f"This account is suspended until {until}.{reason}")


# --- email verification --------------------------------------------------------------------------


def resend_verification(user: User) -> None:
    if user.email_verified:
        raise ValidationFailed("Your email address is already confirmed.")
    enqueue(account_emails.send_verification_email, user.id)


def resend_verification_to(email: str | None) -> None:
    """Anonymous resend: silent whether or not the address has an account."""
    email_key = clean_email(email).lower()
    user_id = db.session.scalar(select(User.id).where(User.email_normalized == email_key, User.email_verified_at.is_(None)))
    if user_id is not None:
        enqueue(account_emails.send_verification_email, user_id)


def check_email_token(token: str, purpose: str = tokens.VERIFY_EMAIL) -> dict:
    """Check a verification or email-change link before showing its confirm button."""
    payload = tokens.read_token(purpose, token, int(current_app.config["EMAIL_TOKEN_MAX_AGE"]))
    _token_user(payload, purpose)
    return payload


def _token_user(payload: dict, purpose: str) -> User:
    user = db.session.get(User, payload["uid"])
    if user is None or not user.is_active:
        raise tokens.TokenInvalid("invalid", purpose)
    return user


def verify_email(token: str) -> User:
    payload = check_email_token(token)
    user = _token_user(payload, tokens.VERIFY_EMAIL)
    if payload.get("email") != user.email_normalized:
        # The address changed after this link was sent; it proves nothing about the new one.
        raise tokens.TokenInvalid("invalid", tokens.VERIFY_EMAIL)
    tokens.spend_token(payload, tokens.VERIFY_EMAIL)
    user.email_verified_at = user.email_verified_at or utcnow()
    db.session.commit()
    return user


# --- password reset ------------------------------------------------------------------------------


def request_password_reset(email: str | None) -> None:
    """Email a reset link if the address has an account; the caller says the same thing either way."""
    email_key = clean_email(email).lower()
    user = db.session.scalar(select(User).where(User.email_normalized == email_key))
    if user is not None and user.is_active:
        enqueue(account_emails.send_password_reset_email, user.id)


def check_reset_token(token: str) -> User:
    return _read_reset_token(token)[0]


def _read_reset_token(token: str) -> tuple[User, dict]:
    payload = tokens.read_token(tokens.RESET_PASSWORD, token, int(current_app.config["RESET_TOKEN_MAX_AGE"]))
    user = _token_user(payload, tokens.RESET_PASSWORD)
    if payload.get("pw") != tokens.password_fingerprint(user.password_hash):
        # The password changed since the link was sent (maybe by another reset link).
        raise tokens.TokenInvalid("used", tokens.RESET_PASSWORD)
    return user, payload


def reset_password(token: str, new_password: str | None) -> User:
    user, payload = _read_reset_token(token)
    password = check_new_password(new_password, "password", user.email, user.display_name)
    tokens.spend_token(payload, tokens.RESET_PASSWORD)
    _set_password(user, password)
    # Following the emailed link proves the mailbox is theirs.
    user.email_verified_at = user.email_verified_at or utcnow()
    db.session.commit()
    return user


def _set_password(user: User, password: str) -> None:
    user.password_hash = hash_password(password)
    user.session_version += 1


# --- settings ------------------------------------------------------------------------------------


@dataclass
class ProfileChange:
    display_name: str
    username: str
    bio: str


def update_profile(user: User, change: ProfileChange) -> User:
    errors: dict[str, str] = {}
    display_name = _checked(errors, lambda: clean_display_name(change.display_name))
    username = _checked(errors, lambda: clean_username(change.username))
    bio = _checked(errors, lambda: clean_text(change.bio, "bio", "Bio", BIO_MAX, required=False))
    if username and _username_taken(username, user.id):
        errors["username"] = "This username is taken. Choose another."
    if errors:
        raise ValidationFailed("Please correct the marked fields.", fields=errors)
    user.display_name, user.username, user.bio = display_name, username, bio
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise ValidationFailed(fields={"username": "This username is taken. Choose another."}) from None
    return user


COLOR_SCHEMES = ("auto", "light", "dark")


def set_color_scheme(user: User, scheme: str | None) -> User:
    """Light, dark, or "auto" (the device's setting). Anything else is refused, and nothing changes."""
    if scheme not in COLOR_SCHEMES:
        raise ValidationFailed(fields={"color_scheme": "Choose automatic, light or dark."})
    user.color_scheme = scheme
    db.session.commit()
    return user


def _username_taken(username: str, except_user_id: int) -> bool:
    return db.session.scalar(select(User.id).where(User.username == username, User.id != except_user_id)) is not None


def change_password(user: User, current_password: str | None, new_password: str | None) -> User:
    """Ends every other session: the caller signs this one in again with the new session id."""
    _check_current_password(user, current_password)
    password = check_new_password(new_password, "new_password", user.email, user.display_name)
    _set_password(user, password)
    db.session.commit()
    return user


def request_email_change(user: User, new_email: str | None, password: str | None) -> str:
    """Send a confirmation link to the new address; the email changes when it is followed."""
    email = clean_email(new_email)
    _check_current_password(user, password)
    if email.lower() == user.email_normalized:
        raise ValidationFailed(fields={"email": "That is already your email address."})
    if _email_taken(email.lower(), user.id):
        raise ValidationFailed(fields={"email": "Another account uses this email address."})
    enqueue(account_emails.send_email_change_email, user.id, email)
    return email


def confirm_email_change(token: str) -> User:
    payload = check_email_token(token, tokens.CHANGE_EMAIL)
    user = _token_user(payload, tokens.CHANGE_EMAIL)
    email = str(payload.get("email") or "")
    if not email or _email_taken(email.lower(), user.id):
        raise tokens.TokenInvalid("invalid", tokens.CHANGE_EMAIL)
    tokens.spend_token(payload, tokens.CHANGE_EMAIL)
    old_email = user.email
    user.email, user.email_normalized, user.email_verified_at = email, email.lower(), utcnow()
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise tokens.TokenInvalid("invalid", tokens.CHANGE_EMAIL) from None
    # The old address hears about it, so a hijacked session can't quietly take the account.
    enqueue(account_emails.send_email_changed_notice, user.id, old_email)
    return user


def delete_account(user: User, password: str | None) -> None:
    """Anonymise the user row; posts and threads keep pointing at it, so nothing is orphaned."""
    _check_current_password(user, password, "password")
    old_avatar = user.avatar_path
    user.display_name = "Former member"
    user.username = f"deleted-{user.id}"
    user.email = user.email_normalized = f"deleted-{user.id}@invalid"
    user.password_hash = None
    user.avatar_path = None
    user.bio = ""
    user.is_verified_customer = False
    user.deleted_at = utcnow()
    user.session_version += 1
    drafts.forget_user(user.id)  # unposted words go with the account
    db.session.commit()
    avatars.delete_file(old_avatar)


# --- profiles ------------------------------------------------------------------------------------


def profile_user(username: str) -> User | None:
    user = db.session.scalar(select(User).where(User.username == username.lower()))
    return user if user is not None and user.deleted_at is None else None


def existing_mentions(names: set[str]) -> dict[str, str]:
    """Lower-cased name → profile URL for the names that belong to active accounts."""
    rows = db.session.scalars(
        select(User.username).where(func.lower(User.username).in_(names), User.deleted_at.is_(None))
    )
    return {username.lower(): f"/u/{quote(username)}" for username in rows}
