"""The audit log: every staff action adds one row in the same transaction as the action itself.

`record` only adds the row to the session; the calling service commits, so an action and its audit
row land together or not at all.
"""
from __future__ import annotations

from typing import Any, Optional

from ..extensions import db
from ..models import AuditEntry, User


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
