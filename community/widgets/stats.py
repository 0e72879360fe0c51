"""Community stats for the stats widget: share of public questions answered, median first response."""
from __future__ import annotations

from statistics import median
from typing import Any

from sqlalchemy import select

from ..extensions import db
from ..models import Thread
from ..services.forum import visible_threads


def community_stats(category_ids: list[int]) -> dict[str, Any]:
    """Over public threads only (optionally some categories). The caller caches the result."""
    query = visible_threads(None).with_only_columns(Thread.created_at, Thread.first_reply_at)
    if category_ids:
        query = query.where(Thread.category_id.in_(category_ids))
    rows = db.session.execute(query).all()
    waits = [(replied - created).total_seconds() for created, replied in rows if replied is not None]
    total = len(rows)
    return {
        "questions": total,
        "answered_pct": round(100 * len(waits) / total) if total else 0,
        "median_first_response_seconds": int(median(waits)) if waits else None,
        "median_first_response": human_duration(median(waits)) if waits else None,
    }


def human_duration(seconds: float) -> str:
    """Short and language-neutral: 45 min, 2 h, 3 d."""
    if seconds < 3600:
        return f"{max(1, round(seconds / 60))} min"
    if seconds < 48 * 3600:
        return f"{round(seconds / 3600)} h"
    return f"{round(seconds / 86400)} d"
