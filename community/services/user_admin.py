"""User administration: the user list, roles, the verified-customer flag, and create-admin.

Each change is one function so the audit log (a later issue) can add its row in one place.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, or_, select

from .. import policies
from ..errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from ..extensions import db
from ..models import Role, User, utcnow
from . import audit
from .accounts import check_new_password, clean_display_name, clean_email, clean_text, unique_username
from .passwords import hash_password

USERS_PER_PAGE = 50


@dataclass
class UserPage:
    users: list[User]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def list_users(actor: User | None, query: str = "", page: int = 1, per_page: int = USERS_PER_PAGE) -> UserPage:
    if not policies.can_view_users(actor):
        raise PermissionDenied("Only staff can see the user list.")
    term = clean_text(query, "q", "Search", 200, required=False)
    condition = User.deleted_at.is_(None)
    if term:
        pattern = "%" + term.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        condition = condition & or_(
            func.lower(User.display_name).like(pattern, escape="\\"),
            User.email_normalized.like(pattern, escape="\\"),
            User.username.like(pattern, escape="\\"),
        )
    total = db.session.scalar(select(func.count()).select_from(User).where(condition)) or 0
    page = max(1, page)
    users = db.session.scalars(
        select(User).where(condition).order_by(User.created_at.desc(), User.id.desc())
        .offset((page - 1) * per_page).limit(per_page)
    )
    return UserPage(list(users), total, page, per_page)


def _target(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None or user.deleted_at is not None:
        raise NotFound("No such user.")
    return user


def set_role(actor: User | None, user_id: int, role: str) -> User:
    if not policies.can_change_roles(actor):
        raise PermissionDenied("Only admins can change roles.")
    try:
        new_role = Role(role)
    except ValueError:
        raise ValidationFailed(f"Unknown role {role!r}.", fields={"role": "Choose one of the listed roles."}) from None
    user = _target(user_id)
    if user.role == Role.admin and new_role != Role.admin and _admin_count() <= 1:
        raise Conflict("The community needs at least one admin. Make someone else admin first.")
    audit.record(actor, "user.role", "user", user.id, before={"role": user.role.value}, after={"role": new_role.value})
    user.role = new_role
    db.session.commit()
    return user


def _admin_count() -> int:
    return db.session.scalar(
        select(func.count()).select_from(User).where(User.role == Role.admin, User.deleted_at.is_(None))
    ) or 0


def set_verified_customer(actor: User | None, user_id: int, verified: bool) -> User:
    if not policies.can_set_verified_customer(actor):
        raise PermissionDenied("Only staff can mark verified customers.")
    user = _target(user_id)
    audit.record(actor, "user.verified_customer", "user", user.id,
                 before={"is_verified_customer": user.is_verified_customer}, after={"is_verified_customer": bool(verified)})
    user.is_verified_customer = bool(verified)
    db.session.commit()
    return user


def find_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email_normalized == clean_email(email).lower()))


def create_admin(email: str, password: str | None = None, display_name: str | None = None) -> tuple[User, bool]:
    """Promote the account with this email to admin, or create a verified admin. (user, created)."""
    address = clean_email(email)
    user = find_by_email(address)
    if user is not None:
        if user.deleted_at is not None:
            raise Conflict("That account was deleted.")
        user.role = Role.admin
        user.email_verified_at = user.email_verified_at or utcnow()
        db.session.commit()
        return user, False
    name = clean_display_name(display_name)
    password = check_new_password(password, "password", address, name)
    user = User(
        email=address, email_normalized=address.lower(), display_name=name, username=unique_username(name),
        password_hash=hash_password(password), role=Role.admin, email_verified_at=utcnow(),
    )
    db.session.add(user)
    db.session.commit()
    return user, True
