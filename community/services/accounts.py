"""Accounts: sign-up, sign-in, verification, password reset, profile, deletion."""
from __future__ import annotations

from ..extensions import db
from ..models import User


def load_user_from_session(session_id: str) -> User | None:
    """Flask-Login loader. The id carries the session version so a password change ends old sessions."""
    user_id, _, version = session_id.partition(":")
    if not user_id.isdigit() or not version.isdigit():
        return None
    user = db.session.get(User, int(user_id))
    if user is None or user.session_version != int(version) or not user.is_active:
        return None
    return user
