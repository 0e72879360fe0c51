"""The audit log: every staff action adds one row in the same transaction as the action itself,
and the staff page reads it back (filters: actor, action, target type, dates; pages).

`record` only adds the row to the session; the calling service commits, so an action and its audit
row land together or not at all.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Any, Optional

from flask import current_app
from sqlalchemy import func, select

from .. import policies
from ..errors import PermissionDenied, ValidationFailed
from ..extensions import db
from ..models import AuditEntry, User
from .forum import Page, paginate


def record(
    actor: Optional[User],
    action: str,
    target_type: str,
    target_id: int | None,
    *,
    before: Any = None,
    after: Any = None,
    reason: str = "",
) -> AuditEntry:
    entry = AuditEntry(
        actor_id=actor.id if actor is not None else None,
        action=action,
        target_type=target_type,
        target_id=target_id,
        before=before,
        after=after,
        reason=reason or "",
    )
    db.session.add(entry)
    return entry


# --- reading the log ------------------------------------------------------------------------------


@dataclass(frozen=True)
class AuditFilters:
    actor: str = ""
    action: str = ""
    target_type: str = ""
    since: str = ""
    until: str = ""

    def as_args(self) -> dict[str, str]:
        return {name: value for name, value in self.__dict__.items() if value}


def _day(raw: str, field: str) -> date | None:
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise ValidationFailed("Please fix the marked fields.", fields={field: "Use a date like 2026-01-31."}) from None


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=timezone.utc)


def audit_entries(actor: Optional[User], filters: AuditFilters, page: int = 1) -> Page[AuditEntry]:
    if not policies.can_view_audit_log(actor):
        raise PermissionDenied("Only staff can read the audit log.")
    since, until = _day(filters.since, "since"), _day(filters.until, "until")
    query = select(AuditEntry).order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
    if filters.actor:
        query = query.join(User, User.id == AuditEntry.actor_id).where(User.username == filters.actor.lower().lstrip("@"))
    if filters.action:
        query = query.where(AuditEntry.action == filters.action)
    if filters.target_type:
        query = query.where(AuditEntry.target_type == filters.target_type)
    if since:
        query = query.where(AuditEntry.created_at >= _start_of(since))
    if until:
        query = query.where(AuditEntry.created_at < _start_of(until + timedelta(days=1)))
    return paginate(query, page, int(current_app.config["AUDIT_PER_PAGE"]))


def known_actions() -> list[str]:
    return list(db.session.scalars(select(AuditEntry.action).group_by(AuditEntry.action).order_by(AuditEntry.action)))


def known_target_types() -> list[str]:
    return list(db.session.scalars(
        select(AuditEntry.target_type).group_by(AuditEntry.target_type).order_by(func.min(AuditEntry.target_type))
    ))
