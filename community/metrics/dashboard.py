"""The service-metrics dashboard: `dashboard(user, filters) -> dict`, for the page, CSV and the API.

Every figure comes from stored rows: the ThreadFacts and PostSentiment rollups (metrics_rollup),
SLA breaches, CSAT surveys, search/deflection events, widget counters and bridge cases.

Definitions (the exact-figures test holds them):
- Thread figures cover threads opened in [start, end] (whole UTC days, end inclusive).
- median: the middle value, or the mean of the two middle values; p90: nearest rank (the
  ceil(0.9 n)-th smallest). Durations are whole seconds; None when there is nothing to measure.
- first-contact resolution: solved threads with exactly one staff reply, as a share of solved ones.
- unanswered: threads neither solved nor closed with no reply from anyone; age measured to `now`.
- Staff who may not see all figures see their own: threads they own (assignee, else first staff
  responder), their replies, their CSAT. Site-wide tables (deflection, funnel, sentiment) are
  shown to every staff member: they are nobody's own.
"""
from __future__ import annotations

import math
import statistics
from collections import defaultdict
from dataclasses import asdict, dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Any, Iterable, Mapping, Optional

from sqlalchemy import case, func, select

from .. import policies
from ..errors import PermissionDenied, ValidationFailed
from ..extensions import db
from ..models import (
    STAFF_ROLES, BridgeCase, BridgePost, Category, CsatSurvey, DeflectionEvent, Post, PostSentiment, SearchEvent,
    SlaBreach, Thread, ThreadFacts, User, VerifiedAnswer, WidgetEventCount, utcnow,
)
from .rollup import last_refreshed_at

CHANNELS = ("community", "x")
DEFAULT_DAYS = 30
MAX_DAYS = 366
FUNNEL = (
    ("detected", BridgeCase.detected_at), ("invited", BridgeCase.invited_at), ("landed", BridgeCase.landed_at),
    ("joined", BridgeCase.joined_at), ("posted", BridgeCase.thread_posted_at), ("verified", BridgeCase.verified_at),
    ("followed_up", BridgeCase.followed_up_at),
)
DEFLECTION_WINDOW = timedelta(hours=24)


@dataclass(frozen=True)
class Filters:
    start: date
    end: date
    category_id: int | None = None
    channel: str | None = None
    staff_id: int | None = None
    now: datetime | None = None

    @property
    def since(self) -> datetime:
        return datetime.combine(self.start, time(), timezone.utc)

    @property
    def until(self) -> datetime:
        return datetime.combine(self.end + timedelta(days=1), time(), timezone.utc)


def parse_filters(args: Mapping[str, Any], today: date | None = None) -> Filters:
    """Query-string style input (all strings) to Filters; ValidationFailed names each bad field."""
    today = today or utcnow().date()
    problems: dict[str, str] = {}
    end = _date(args.get("end"), today, "end", problems)
    start = _date(args.get("start"), end - timedelta(days=DEFAULT_DAYS - 1), "start", problems)
    if not problems and start > end:
        problems["start"] = "The start date must not be after the end date."
    elif not problems and (end - start).days >= MAX_DAYS:
        problems["start"] = f"Choose at most {MAX_DAYS} days."
    channel = (args.get("channel") or "").strip() or None
    if channel is not None and channel not in CHANNELS:
        problems["channel"] = "Choose community or x."
    category_id, staff_id = _id(args.get("category"), "category", problems), _id(args.get("staff"), "staff", problems)
    if problems:
        raise ValidationFailed("Some filters need fixing.", fields=problems)
    return Filters(start=start, end=end, category_id=category_id, channel=channel, staff_id=staff_id)


def _date(raw: Any, default: date, field: str, problems: dict[str, str]) -> date:
    if raw in (None, ""):
        return default
    if isinstance(raw, date):
        return raw
    try:
        return date.fromisoformat(str(raw).strip())
    except ValueError:
        problems[field] = "Use a date like 2026-01-31."
        return default


def _id(raw: Any, field: str, problems: dict[str, str]) -> int | None:
    if raw in (None, ""):
        return None
    text = str(raw).strip()
    if not text.isdigit() or len(text) > 12:
        problems[field] = "Choose one from the list."
        return None
    return int(text)


# --- entry point --------------------------------------------------------------------------------


def dashboard(user: Optional[User], filters: Filters) -> dict[str, Any]:
    if not policies.can_view_metrics(user):
        raise PermissionDenied("The dashboard is for staff.")
    sees_all = policies.can_view_all_metrics(user)
    if not sees_all:
        filters = Filters(**{**asdict(filters), "staff_id": user.id})
    now = filters.now or utcnow()
    facts = _facts(filters)
    summary = summarize(facts, now)
    tables = {
        "overview": table("Overview", ("figure", "value"), summary.items()),
        "categories": _grouped_table("Per category", "category", facts, now, lambda f: f.category_id, _category_names()),
        "channels": _channels_table(facts, now, filters),
        "agents": _agents_table(filters, facts, sees_all, user),
        "sla": _sla_table(filters),
        "deflection": _deflection_table(filters),
        "funnel": _funnel_table(filters),
        "sentiment": _sentiment_table(filters),
        "csat": _csat_table(filters),
    }
    return {
        "scope": "all" if sees_all else "own",
        "filters": {k: (v.isoformat() if isinstance(v, (date, datetime)) else v) for k, v in asdict(filters).items()
                    if k != "now"},
        "refreshed_at": _iso(last_refreshed_at()),
        "summary": summary,
        "tables": tables,
    }


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


# --- statistics ---------------------------------------------------------------------------------


def median(values: Iterable[int | None]) -> float | None:
    present = [v for v in values if v is not None]
    return float(statistics.median(present)) if present else None


def p90(values: Iterable[int | None]) -> int | None:
    present = sorted(v for v in values if v is not None)
    return present[math.ceil(0.9 * len(present)) - 1] if present else None


def rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


# --- thread figures -----------------------------------------------------------------------------


def _facts(filters: Filters) -> list:
    """The facts rows in range as plain rows (attribute access like the model, a fraction of the cost)."""
    query = select(*ThreadFacts.__table__.c).where(ThreadFacts.created_at >= filters.since, ThreadFacts.created_at < filters.until)
    return list(db.session.execute(_narrow(query, filters)))


def _narrow(query, filters: Filters):
    """Apply the category, channel and staff filters to a query that includes ThreadFacts."""
    if filters.category_id is not None:
        query = query.where(ThreadFacts.category_id == filters.category_id)
    if filters.channel is not None:
        query = query.where(ThreadFacts.channel == filters.channel)
    if filters.staff_id is not None:
        query = query.where(ThreadFacts.owner_id == filters.staff_id)
    return query


def summarize(facts: list[ThreadFacts], now: datetime) -> dict[str, Any]:
    solved = [f for f in facts if f.solved_s is not None]
    fcr = [f for f in solved if f.staff_replies == 1]
    unanswered = [f for f in facts if f.first_reply_s is None and f.state not in ("solved", "closed")]
    ages = [int((now - f.created_at).total_seconds()) for f in unanswered]
    figures: dict[str, Any] = {"threads": len(facts)}
    for name, attr in (("first_reply", "first_reply_s"), ("first_reply_business", "first_reply_bh_s"),
                       ("first_staff_reply", "first_staff_s"), ("first_staff_reply_business", "first_staff_bh_s"),
                       ("time_to_solved", "solved_s"), ("time_to_verified", "verified_s")):
        values = [getattr(f, attr) for f in facts]
        figures[f"{name}_median_s"], figures[f"{name}_p90_s"] = median(values), p90(values)
    figures.update(
        solved=len(solved), solved_rate=rate(len(solved), len(facts)),
        first_contact_resolved=len(fcr), first_contact_resolution_rate=rate(len(fcr), len(solved)),
        unanswered=len(unanswered), unanswered_median_age_s=median(ages), unanswered_oldest_age_s=max(ages, default=None),
    )
    return figures


SUMMARY_COLUMNS = (
    "threads", "first_reply_median_s", "first_reply_p90_s", "first_reply_business_median_s",
    "first_reply_business_p90_s", "first_staff_reply_median_s", "first_staff_reply_p90_s",
    "first_staff_reply_business_median_s", "first_staff_reply_business_p90_s", "time_to_solved_median_s",
    "time_to_verified_median_s", "solved", "solved_rate", "first_contact_resolution_rate", "unanswered",
    "unanswered_oldest_age_s",
)


def table(title: str, columns: Iterable[str], rows: Iterable[Iterable[Any]], chart: str | None = None) -> dict:
    """A dashboard table: the page shows it (and charts column `chart`), CSV exports it as is."""
    return {"title": title, "columns": list(columns), "rows": [list(r) for r in rows], "chart": chart}


def _grouped_table(title, key_name, facts, now, key, names: dict) -> dict:
    groups: dict[Any, list[ThreadFacts]] = defaultdict(list)
    for f in facts:
        groups[key(f)].append(f)
    rows = []
    for group_key in sorted(groups, key=lambda k: str(names.get(k, k))):
        figures = summarize(groups[group_key], now)
        rows.append([names.get(group_key, group_key), *(figures[c] for c in SUMMARY_COLUMNS)])
    return table(title, (key_name, *SUMMARY_COLUMNS), rows, chart="first_staff_reply_median_s")


def _category_names() -> dict[int, str]:
    return dict(db.session.execute(select(Category.id, Category.name)).all())


def _channels_table(facts, now, filters: Filters) -> dict:
    result = _grouped_table("Per channel", "channel", facts, now, lambda f: f.channel, {})
    x_seconds = list(db.session.scalars(select(BridgeCase.first_response_seconds).where(
        BridgeCase.detected_at >= filters.since, BridgeCase.detected_at < filters.until,
        BridgeCase.first_response_seconds.is_not(None))))
    result["columns"] += ["x_case_first_response_median_s", "x_case_first_response_p90_s"]
    for row in result["rows"]:
        row += [median(x_seconds), p90(x_seconds)] if row[0] == "x" else [None, None]
    return result


# --- agents -------------------------------------------------------------------------------------


def _agents_table(filters: Filters, facts: list[ThreadFacts], sees_all: bool, user: User) -> dict:
    staff_query = select(User.id, User.display_name).where(User.role.in_(STAFF_ROLES), User.deleted_at.is_(None))
    if filters.staff_id is not None:
        staff_query = staff_query.where(User.id == filters.staff_id)
    staff = db.session.execute(staff_query.order_by(User.display_name, User.id)).all()
    ids = [s.id for s in staff]
    replies = dict(db.session.execute(
        select(Post.author_id, func.count()).join(Thread, Thread.id == Post.thread_id)
        .where(Post.author_id.in_(ids), Post.position > 1, Post.is_system.is_(False),
               Post.author_id != Thread.author_id,
               Post.created_at >= filters.since, Post.created_at < filters.until)
        .group_by(Post.author_id)
    ).all())
    verified = dict(db.session.execute(
        select(VerifiedAnswer.verified_by_id, func.count()).where(
            VerifiedAnswer.verified_by_id.in_(ids), VerifiedAnswer.verified_at >= filters.since,
            VerifiedAnswer.verified_at < filters.until)
        .group_by(VerifiedAnswer.verified_by_id)
    ).all())
    csat = _csat_by_owner(filters)
    responded: dict[int, list[int]] = defaultdict(list)
    for f in facts:
        if f.first_staff_responder_id is not None:
            responded[f.first_staff_responder_id].append(f.first_staff_s)
    rows = []
    for member in staff:
        scores = csat.get(member.id, [])
        active = replies.get(member.id) or verified.get(member.id) or responded.get(member.id) or scores
        if not active and filters.staff_id is None:
            continue  # a staff member with nothing in the range would only lengthen the table
        rows.append([member.display_name, replies.get(member.id, 0), verified.get(member.id, 0),
                     median(responded.get(member.id, [])),
                     len(scores), round(sum(scores) / len(scores), 2) if scores else None])
    columns = ("staff member", "replies", "verified_answers", "first_response_median_s", "csat_responses", "csat_average")
    return table("Agent performance", columns, rows, chart="replies")


def _csat_by_owner(filters: Filters) -> dict[int, list[int]]:
    """CSAT scores of the threads in range, per owning staff member."""
    query = (
        select(ThreadFacts.owner_id, CsatSurvey.score).join(ThreadFacts, ThreadFacts.thread_id == CsatSurvey.thread_id)
        .where(ThreadFacts.created_at >= filters.since, ThreadFacts.created_at < filters.until,
               ThreadFacts.owner_id.is_not(None), CsatSurvey.score.is_not(None))
    )
    scores: dict[int, list[int]] = defaultdict(list)
    for owner_id, score in db.session.execute(_narrow(query, filters)):
        scores[owner_id].append(score)
    return scores


# --- SLA, CSAT ----------------------------------------------------------------------------------


def _scoped_threads(query, thread_column, filters: Filters):
    """Restrict a query on rows about threads to the category and staff member filtered on."""
    if filters.category_id is None and filters.staff_id is None and filters.channel is None:
        return query
    return _narrow(query.join(ThreadFacts, ThreadFacts.thread_id == thread_column), filters)


def _sla_table(filters: Filters) -> dict:
    query = select(SlaBreach.category_id, SlaBreach.kind, func.count()).where(
        SlaBreach.breached_at >= filters.since, SlaBreach.breached_at < filters.until)
    query = _scoped_threads(query, SlaBreach.thread_id, filters).group_by(SlaBreach.category_id, SlaBreach.kind)
    counts: dict[int, dict[str, int]] = defaultdict(lambda: {"first_response": 0, "resolution": 0})
    for category_id, kind, count in db.session.execute(query):
        counts[category_id][kind] = count
    names = _category_names()
    rows = [[names.get(cid, cid), c["first_response"], c["resolution"], c["first_response"] + c["resolution"]]
            for cid, c in sorted(counts.items(), key=lambda item: str(names.get(item[0])))]
    return table("SLA breaches", ("category", "first_response", "resolution", "total"), rows, chart="total")


def _csat_table(filters: Filters) -> dict:
    query = select(CsatSurvey.score).where(CsatSurvey.requested_at >= filters.since,
                                           CsatSurvey.requested_at < filters.until)
    scores = list(db.session.scalars(_scoped_threads(query, CsatSurvey.thread_id, filters)))
    answered = [s for s in scores if s is not None]
    rows = [
        ["requested", len(scores)], ["answered", len(answered)], ["response_rate", rate(len(answered), len(scores))],
        ["average", round(sum(answered) / len(answered), 2) if answered else None],
        ["satisfied_rate", rate(sum(1 for s in answered if s >= 4), len(answered))],
        *([f"score_{n}", answered.count(n)] for n in range(1, 6)),
    ]
    return table("Customer satisfaction (CSAT)", ("figure", "value"), rows)


# --- deflection, bridge funnel, sentiment (site-wide) -------------------------------------------


def _deflection_table(filters: Filters) -> dict:
    since, until = filters.since, filters.until
    searches = db.session.scalar(select(func.count()).select_from(SearchEvent).where(
        SearchEvent.kind == "search", SearchEvent.created_at >= since, SearchEvent.created_at < until)) or 0
    clicks = db.session.execute(
        select(SearchEvent.user_id, SearchEvent.created_at).join(Thread, Thread.id == SearchEvent.thread_id)
        .where(SearchEvent.kind == "click", SearchEvent.created_at >= since, SearchEvent.created_at < until,
               Thread.solved_at.is_not(None), Thread.solved_at <= SearchEvent.created_at)
    ).all()
    deflected_searches = _without_new_thread(clicks, until)
    compose = _compose_sessions(since, until)
    shown = sum(1 for kinds in compose.values() if "shown" in kinds)
    abandoned = sum(1 for kinds in compose.values() if {"opened", "abandoned"} <= kinds and "posted" not in kinds)
    widget = dict(db.session.execute(
        select(WidgetEventCount.kind, func.sum(WidgetEventCount.count))
        .where(WidgetEventCount.day >= filters.start, WidgetEventCount.day <= filters.end)
        .group_by(WidgetEventCount.kind)).all())
    impressions, widget_clicks = int(widget.get("impression") or 0), int(widget.get("click") or 0)
    rows = [
        ["searches_to_solved_thread", deflected_searches, searches, rate(deflected_searches, searches)],
        ["suggestion_opened_then_abandoned", abandoned, shown, rate(abandoned, shown)],
        ["widget_clicks", widget_clicks, impressions, rate(widget_clicks, impressions)],
    ]
    return table("Deflection", ("kind", "count", "out_of", "rate"), rows, chart="count")


def _without_new_thread(clicks, until: datetime) -> int:
    """Clicks on a solved thread not followed by a new thread from that member within 24 h.
    Anonymous clicks count: an anonymous visitor opened no thread under any name."""
    users = {user_id for user_id, _ in clicks if user_id is not None}
    opened: dict[int, list[datetime]] = defaultdict(list)
    if users:
        for author_id, created_at in db.session.execute(select(Thread.author_id, Thread.created_at).where(
                Thread.author_id.in_(users), Thread.created_at < until + DEFLECTION_WINDOW)):
            opened[author_id].append(created_at)
    return sum(
        1 for user_id, at in clicks
        if not any(at <= t < at + DEFLECTION_WINDOW for t in opened.get(user_id, ()))
    )


def _compose_sessions(since: datetime, until: datetime) -> dict[str, set[str]]:
    sessions: dict[str, set[str]] = defaultdict(set)
    started = select(DeflectionEvent.compose_id).where(
        DeflectionEvent.kind == "shown", DeflectionEvent.created_at >= since, DeflectionEvent.created_at < until)
    for compose_id, kind in db.session.execute(
            select(DeflectionEvent.compose_id, DeflectionEvent.kind).where(DeflectionEvent.compose_id.in_(started))):
        sessions[compose_id].add(kind)
    return sessions


def _funnel_table(filters: Filters) -> dict:
    counts = db.session.execute(select(*(func.count(column) for _name, column in FUNNEL)).where(
        BridgeCase.detected_at >= filters.since, BridgeCase.detected_at < filters.until)).one()
    rows, previous = [], None
    for (name, _column), count in zip(FUNNEL, counts):
        rows.append([name, count, rate(count, previous) if previous is not None else None, rate(count, counts[0])])
        previous = count
    return table("X bridge funnel", ("stage", "cases", "from_previous", "from_detected"), rows, chart="cases")


def _sentiment_table(filters: Filters) -> dict:
    """Complaint share per week (weeks start on Monday), for X posts and community posts."""
    complaint = func.sum(case((BridgePost.label == "complaint", 1), else_=0))
    x_days = db.session.execute(
        select(func.date(BridgePost.posted_at), func.count(), complaint)
        .where(BridgePost.posted_at >= filters.since, BridgePost.posted_at < filters.until)
        .group_by(func.date(BridgePost.posted_at))).all()
    community_complaint = func.sum(case((PostSentiment.label == "complaint", 1), else_=0))
    community_days = db.session.execute(
        select(PostSentiment.day, func.count(), community_complaint)
        .where(PostSentiment.day >= filters.start, PostSentiment.day <= filters.end).group_by(PostSentiment.day)).all()
    weeks: dict[date, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for offset, rows in ((0, x_days), (2, community_days)):
        for day, total, complaints in rows:
            day = day if isinstance(day, date) else date.fromisoformat(str(day))
            bucket = weeks[day - timedelta(days=day.weekday())]
            bucket[offset] += total
            bucket[offset + 1] += int(complaints or 0)
    rows = [[week.isoformat(), xt, xc, rate(xc, xt), ct, cc, rate(cc, ct)]
            for week, (xt, xc, ct, cc) in sorted(weeks.items())]
    columns = ("week", "x_posts", "x_complaints", "x_complaint_share", "community_posts", "community_complaints",
               "community_complaint_share")
    return table("Sentiment: complaint share per week", columns, rows, chart="community_complaint_share")
