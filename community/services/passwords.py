"""Password hashing (argon2) and strength rules."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app, has_app_context

_default_hasher = PasswordHasher()
# Tests set PASSWORD_HASH_FAST so that thousands of sign-ups don't spend minutes hashing.
_fast_hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
COMMON_PASSWORDS_FILE = Path(__file__).resolve().parent.parent / "data" / "common_passwords.txt"
# Argon2 accepts any length; a cap keeps a megabyte "password" from costing a hashing run.
PASSWORD_MAX_LENGTH = 256


def _hasher() -> PasswordHasher:
    if has_app_context() and current_app.config.get("PASSWORD_HASH_FAST"):
        return _fast_hasher
    return _default_hasher


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    if not password_hash:
        return False
    try:
        return _hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    lines = COMMON_PASSWORDS_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().lower() for line in lines if line.strip() and not line.startswith("#"))


def password_problem(password: str, *, min_length: int, avoid: tuple[str, ...] = ()) -> str | None:
    """Why a new password is not acceptable, or None. `avoid` holds the user's own email/name."""
    if len(password) < min_length:
        return f"Use at least {min_length} characters."
    if len(password) > PASSWORD_MAX_LENGTH:
        return f"Use at most {PASSWORD_MAX_LENGTH} characters."
    if any(ord(ch) < 32 for ch in password):
        return "The password contains characters that cannot be typed (such as NUL)."
    lowered = password.lower()
    if lowered in common_passwords():
        return "This password is too common. Choose something harder to guess."
    if any(word and lowered == word.lower() for word in avoid):
        return "Don't use your email address or name as your password."
    if len(set(password)) < 4:
        return "This password is too easy to guess. Use more different characters."
    return None
