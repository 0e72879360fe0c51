"""SLA clocks: per-category targets for first staff response and for resolution, breach detection,
inbox countdowns, and the alert (email to a chosen address, webhook `sla.breached`).

Clocks run in wall-clock time from the thread's creation. The first-response clock stops at the
first staff reply (or when the thread is solved or closed without one); the resolution clock stops
when the thread is solved or closed. A clock that stopped, or is still running, past its due time
is a breach. `check_breaches` is a scheduled job: a breach row is unique per (thread, kind), so a
second run, or two runs at once, record and announce each breach once.
"""
from __future__ import annotations

from functools import partial

import logging
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Iterable, Mapping, Optional

from flask import current_app
from sqlalchemy import select, update

from .. import policies
from ..errors import ValidationFailed
from ..extensions import db
from ..rows import insert_once
from ..jobs.queue import enqueue
from ..jobs.registry import job
from ..models import Category, SiteSetting, SlaBreach, SlaTarget, Thread, User, utcnow
from ..services import audit
from ..services.mail import absolute_url, send_email

log = logging.getLogger(__name__)

KINDS = ("first_response", "resolution")
KIND_LABELS = {"first_response": "first response", "resolution": "resolution"}
ALERT_EMAIL_KEY = "sla_alert_email"
MAX_MINUTES = 366 * 24 * 60
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True)
class Clock:
    kind: str
    due_at: datetime
    seconds_left: int  # negative once breached

    @property
    def breached(self) -> bool:
        return self.seconds_left < 0

    @property
    def label(self) -> str:
        return KIND_LABELS[self.kind]


# --- targets (the admin page) -------------------------------------------------------------------


def targets() -> dict[int, SlaTarget]:
    return {t.category_id: t for t in db.session.scalars(select(SlaTarget))}


def alert_email() -> str | None:
    row = db.session.get(SiteSetting, ALERT_EMAIL_KEY)
    chosen = row.value if row is not None else None
    return chosen or current_app.config.get("SLA_ALERT_EMAIL") or None


def settings_form(user: Optional[User]) -> tuple[list[Category], dict[int, SlaTarget], str]:
    _require_manager(user)
    categories = list(db.session.scalars(
        select(Category).where(Category.deleted_at.is_(None)).order_by(Category.position, Category.name)))
    return categories, targets(), alert_email() or ""


def save_settings(user: Optional[User], raw_targets: Mapping[int, tuple[str, str]], raw_email: str) -> None:
    """raw_targets: category id -> (first-response minutes, resolution minutes) as typed; blank = none."""
    _require_manager(user)
    problems: dict[str, str] = {}
    parsed = {cid: (_minutes(first, f"first_{cid}", problems), _minutes(res, f"resolution_{cid}", problems))
              for cid, (first, res) in raw_targets.items()}
    email = (raw_email or "").strip()
    if email and (len(email) > 254 or not EMAIL_RE.match(email)):
        problems["alert_email"] = "Enter an email address, or leave it empty for no alert emails."
    if problems:
        raise ValidationFailed("Some targets need fixing.", fields=problems)
    known = set(db.session.scalars(select(Category.id).where(Category.id.in_(list(parsed)))))
    current = targets()
    before = {"targets": {cid: _pair(t) for cid, t in current.items()}, "alert_email": alert_email()}
    after = {"targets": {cid: pair for cid, pair in parsed.items() if cid in known}, "alert_email": email or None}
    audit.record(user, "settings.sla", "setting", None, before=before, after=after)
    for category_id, (first, resolution) in parsed.items():
        if category_id not in known:
            continue
        row = current.get(category_id) or SlaTarget(category_id=category_id)
        row.first_response_minutes, row.resolution_minutes, row.updated_at = first, resolution, utcnow()
        db.session.add(row)
    setting = db.session.get(SiteSetting, ALERT_EMAIL_KEY) or SiteSetting(key=ALERT_EMAIL_KEY)
    setting.value = email or None
    db.session.add(setting)
    db.session.commit()


def _pair(target: SlaTarget) -> tuple[int | None, int | None]:
    return target.first_response_minutes, target.resolution_minutes


_require_manager = partial(policies.ensure, policies.can_manage_sla, message="Only admins can change SLA targets.")


def _minutes(raw: str, field: str, problems: dict[str, str]) -> int | None:
    text = (raw or "").strip()
    if not text:
        return None
    if not text.isdigit() or not 1 <= int(text) <= MAX_MINUTES:
        problems[field] = f"Whole minutes from 1 to {MAX_MINUTES}, or empty for no target."
        return None
    return int(text)


# --- clocks ---------------------------------------------------------------------------------------


def _stops(thread: Thread, kind: str) -> datetime | None:
    finished = thread.solved_at or thread.closed_at
    if kind == "first_response":
        return thread.first_staff_reply_at or finished
    return finished


def _target_minutes(target: SlaTarget | None, kind: str) -> int | None:
    if target is None:
        return None
    return target.first_response_minutes if kind == "first_response" else target.resolution_minutes


def running_clock(thread: Thread, target: SlaTarget | None, now: datetime) -> Clock | None:
    """The clock that will breach next for a thread still waiting, or None."""
    for kind in KINDS:
        minutes = _target_minutes(target, kind)
        if minutes is None or _stops(thread, kind) is not None:
            continue
        due = thread.created_at + timedelta(minutes=minutes)
        return Clock(kind, due, int((due - now).total_seconds()))
    return None


def inbox_clocks(threads: Iterable[Thread], now: datetime | None = None) -> dict[int, Clock]:
    """Clocks to show in the staff inbox: those within SLA_WARNING_MINUTES of breaching, or past it."""
    now = now or utcnow()
    warning = int(current_app.config["SLA_WARNING_MINUTES"]) * 60
    by_category = targets()
    clocks = {}
    for thread in threads:
        clock = running_clock(thread, by_category.get(thread.category_id), now)
        if clock is not None and clock.seconds_left <= warning:
            clocks[thread.id] = clock
    return clocks


def countdown(seconds_left: int) -> str:
    """'42 min left', '1 h 5 min left', 'breached 3 h 2 min ago'."""
    span = abs(seconds_left) // 60
    text = f"{span // 60} h {span % 60} min" if span >= 60 else f"{span} min"
    return f"{text} left" if seconds_left >= 0 else f"breached {text} ago"


# --- breach detection (scheduled) ---------------------------------------------------------------


@job("metrics.sla.check_breaches")
def check_breaches(now: datetime | None = None) -> int:
    """Job: record every breach not yet recorded; announce each new one. Returns how many."""
    now = now or utcnow()
    by_category = {cid: t for cid, t in targets().items()}
    if not by_category:
        return 0
    since = now - timedelta(days=int(current_app.config["SLA_LOOKBACK_DAYS"]))
    recorded = {(b.thread_id, b.kind) for b in db.session.execute(
        select(SlaBreach.thread_id, SlaBreach.kind).where(SlaBreach.due_at >= since))}
    candidates = db.session.scalars(select(Thread).where(
        Thread.category_id.in_(list(by_category)), Thread.deleted_at.is_(None), Thread.merged_into_id.is_(None),
        Thread.created_at >= since, Thread.created_at <= now,
    ).order_by(Thread.id))
    new = []
    for thread in candidates:
        for kind in KINDS:
            breach = _breach(thread, kind, by_category[thread.category_id], now)
            if breach is not None and (thread.id, kind) not in recorded and _record(breach):
                new.append(breach.id)
    for breach_id in new:
        enqueue(announce_breach, breach_id)
    return len(new)


def _breach(thread: Thread, kind: str, target: SlaTarget, now: datetime) -> SlaBreach | None:
    minutes = _target_minutes(target, kind)
    if minutes is None:
        return None
    due = thread.created_at + timedelta(minutes=minutes)
    if (_stops(thread, kind) or now) <= due:
        return None
    return SlaBreach(thread_id=thread.id, category_id=thread.category_id, kind=kind, due_at=due, breached_at=due)


def _record(breach: SlaBreach) -> bool:
    """Insert the breach; the (thread, kind) unique constraint refuses one a parallel run recorded."""
    return insert_once(breach)


@job("metrics.sla.announce_breach")
def announce_breach(breach_id: int) -> None:
    """Job: the webhook event and the alert email for one breach (each keyed, so at most once)."""
    breach = db.session.get(SlaBreach, breach_id)
    thread = db.session.get(Thread, breach.thread_id) if breach else None
    if breach is None or thread is None:
        return
    url = absolute_url("forum.thread", thread_id=thread.id, slug=thread.slug)
    _emit_webhook(breach, thread, url)
    to = alert_email()
    if to and _claim_alert(breach.id):
        send_email(to, f"SLA breached ({KIND_LABELS[breach.kind]}): {thread.title}", "sla_breach",
                   thread=thread, breach=breach, kind_label=KIND_LABELS[breach.kind], url=url)


def _claim_alert(breach_id: int) -> bool:
    claimed = db.session.execute(
        update(SlaBreach).where(SlaBreach.id == breach_id, SlaBreach.alerted_at.is_(None)).values(alerted_at=utcnow())
    ).rowcount
    db.session.commit()
    return claimed == 1


def _emit_webhook(breach: SlaBreach, thread: Thread, url: str) -> None:
    try:
        from ..webhooks import delivery as webhooks
    except ImportError:  # the webhooks module is optional for this feature
        return
    # content_data: title and category only when an anonymous visitor may read the thread (the webhook payload rule).
    data = {"thread_id": thread.id, "kind": breach.kind, "due_at": breach.due_at.isoformat(),
            "assigned_to_id": thread.assigned_to_id, **webhooks.content_data(thread)}
    webhooks.emit("sla.breached", data, key=f"sla:{thread.id}:{breach.kind}")
