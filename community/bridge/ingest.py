"""Find: bring posts from X into the bridge. Polls of the brand's mentions and the keyword search,
imports of exported posts (TWCS CSV or JSONL), opt-outs, and purging posts deleted on X.

Every post is stored once (unique (network, post_id)) and classified on the way in; posts by one
author in one conversation form one triage case. A source's since_id cursor moves only after every
page of a poll is committed: a failed page leaves it where it was and the next poll re-reads, and
the unique post ids make that re-read harmless.
"""
from __future__ import annotations

import json
import logging
import re
from dataclasses import asdict, dataclass, field
from datetime import datetime, time, timedelta, timezone
from pathlib import Path
from typing import Any, Iterable, Mapping

from flask import current_app
from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import lazyload

from .classify import active_classifier
from .client import Page, RateLimitInfo, SocialClient, SocialError, SocialPost, BadResponse
from .twcs import TwcsRow, parse_twcs, row_from_record as twcs_record_to_row, user_id_for
from ..errors import ValidationFailed
from ..extensions import db
from ..models import BridgeCase, BridgeCursor, BridgeOptOut, BridgePollLog, BridgePost, CaseStatus, utcnow
from ..models.bridge import LabelSource
from ..jobs.queue import enqueue
from ..jobs.registry import job
from ..webhooks import delivery as webhooks
from . import respond
from .opt_outs import NETWORK, opt_out_author

log = logging.getLogger(__name__)

SOURCES = ("mentions", "search")
BATCH = 1000
IN_CHUNK = 500  # ids per IN (...) clause, well under every database's parameter limit
# A reply that is only "stop" (after any @mentions) opts its author out at once.
STOP_REPLY = re.compile(r"^\s*(?:@\w+\s+)*(?:stop|unsubscribe|opt[\s-]?out)\W*$", re.IGNORECASE)


@dataclass(frozen=True)
class Brand:
    user_id: str | None
    handle: str | None  # lower case, without @

    def mentioned_in(self, text: str) -> bool:
        return bool(self.handle) and re.search(rf"(?<!\w)@{re.escape(self.handle)}(?!\w)", text, re.I) is not None


@dataclass
class Incoming:
    """A post from any source, in the shape the store needs."""

    post_id: str
    author_id: str
    text: str
    posted_at: datetime
    author_username: str = ""
    author_name: str = ""
    author_followers: int | None = None
    conversation_id: str | None = None
    in_reply_to_post_id: str | None = None
    in_reply_to_user_id: str | None = None
    quoted_post_id: str | None = None
    lang: str | None = None
    raw: Any = None
    mentions_brand: bool = False
    is_retweet: bool = False

    @property
    def case_key(self) -> tuple[str, str]:
        return (self.conversation_id or self.post_id, self.author_id)


@dataclass
class Counts:
    fetched: int = 0
    stored: int = 0
    duplicates: int = 0
    dropped: int = 0
    errors: int = 0
    bad_input: int = 0

    def add(self, other: "Counts") -> None:
        for name, value in asdict(other).items():
            setattr(self, name, getattr(self, name) + value)

    def summary(self) -> str:
        return ", ".join(f"{name} {value}" for name, value in asdict(self).items())


def brand_from_config(config: Mapping[str, Any]) -> Brand:
    handle = (config.get("X_BRAND_HANDLE") or "").strip().lstrip("@").lower() or None
    return Brand(str(config.get("X_BRAND_USER_ID") or "") or None, handle)


# --- storing ----------------------------------------------------------------------------------


def _chunks(items: list, size: int = IN_CHUNK) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _existing_post_ids(post_ids: list[str]) -> set[str]:
    found: set[str] = set()
    for chunk in _chunks(post_ids):
        query = select(BridgePost.post_id).where(BridgePost.network == NETWORK, BridgePost.post_id.in_(chunk))
        found.update(db.session.scalars(query))
    return found


def _opted_out(author_ids: set[str]) -> set[str]:
    found: set[str] = set()
    for chunk in _chunks(sorted(author_ids)):
        query = select(BridgeOptOut.author_id).where(BridgeOptOut.network == NETWORK, BridgeOptOut.author_id.in_(chunk))
        found.update(db.session.scalars(query))
    return found


def _brand_post_ids(post_ids: set[str], brand: Brand) -> set[str]:
    """Which of these ids are the brand's own posts we have seen (quoting one of them summons us)."""
    if not brand.user_id or not post_ids:
        return set()
    found: set[str] = set()
    for chunk in _chunks(sorted(post_ids)):
        query = select(BridgePost.post_id).where(
            BridgePost.network == NETWORK, BridgePost.post_id.in_(chunk), BridgePost.author_id == brand.user_id)
        found.update(db.session.scalars(query))
    return found


def _cases_for(keys: set[tuple[str, str]]) -> dict[tuple[str, str], BridgeCase]:
    cases: dict[tuple[str, str], BridgeCase] = {}
    for chunk in _chunks(sorted({conversation for conversation, _ in keys})):
        query = (select(BridgeCase).options(lazyload(BridgeCase.posts))
                 .where(BridgeCase.network == NETWORK, BridgeCase.conversation_id.in_(chunk)))
        for case in db.session.scalars(query):
            cases[(case.conversation_id, case.author_id)] = case
    return {key: case for key, case in cases.items() if key in keys}


def _triage_worthy(posts: list[Incoming], brand: Brand, counts: Counts) -> list[Incoming]:
    """Drop retweets, stop replies (opting their authors out) and posts of opted-out authors."""
    kept = []
    for post in posts:
        if post.is_retweet:
            counts.dropped += 1
        elif STOP_REPLY.match(post.text):
            opt_out_author(post.author_id, post.author_username, reason="stop_reply")
            counts.dropped += 1
        else:
            kept.append(post)
    opted_out = _opted_out({post.author_id for post in kept})
    counts.dropped += sum(post.author_id in opted_out for post in kept)
    return [post for post in kept if post.author_id not in opted_out]


def _new_only(posts: list[Incoming], counts: Counts) -> list[Incoming]:
    existing = _existing_post_ids([post.post_id for post in posts])
    fresh: dict[str, Incoming] = {}
    for post in posts:
        if post.post_id in existing or post.post_id in fresh:
            counts.duplicates += 1
        else:
            fresh[post.post_id] = post
    return list(fresh.values())


def _row_for(post: Incoming, source: str, summoned: bool, verdict, case_id: int | None) -> dict[str, Any]:
    """A bridge_posts row as a dict: rows go in with one executemany, not one ORM object each."""
    return dict(
        network=NETWORK, post_id=post.post_id, case_id=case_id, source=source, author_id=post.author_id,
        author_username=post.author_username, author_name=post.author_name, author_followers=post.author_followers,
        conversation_id=post.conversation_id, in_reply_to_post_id=post.in_reply_to_post_id,
        in_reply_to_user_id=post.in_reply_to_user_id, quoted_post_id=post.quoted_post_id, text=post.text,
        raw=post.raw, lang=post.lang, summoned=summoned, posted_at=post.posted_at, ingested_at=utcnow(),
        label=verdict.label if verdict else "other", label_score=verdict.score if verdict else 0.0,
        complaint_score=verdict.complaint_score if verdict else 0.0,
        classifier_version=verdict.version if verdict else "", deleted_at=None, purged_at=None,
    )


def _insert_posts(rows: list[dict[str, Any]]) -> None:
    if rows:
        db.session.execute(insert(BridgePost), rows)


def _case_for(post: Incoming, cases: dict, now: datetime) -> BridgeCase:
    key = post.case_key
    case = cases.get(key)
    if case is None:
        case = BridgeCase(network=NETWORK, conversation_id=key[0], author_id=post.author_id,
                          detected_at=post.posted_at, ingested_at=now, last_post_at=post.posted_at,
                          status=CaseStatus.new, version=1, label_source=LabelSource.classifier,
                          summoned=False, complaint_score=0.0)
        db.session.add(case)
        cases[key] = case
    return case


def _update_case(case: BridgeCase, post: Incoming, summoned: bool, verdict) -> None:
    """The case reads as its latest post (unless staff labelled it); its complaint score is its worst post's."""
    case.author_username = post.author_username or case.author_username or ""
    case.author_name = post.author_name or case.author_name or ""
    if post.author_followers is not None:
        case.author_followers = post.author_followers
    case.summoned = bool(case.summoned) or summoned
    case.detected_at = min(case.detected_at, post.posted_at) if case.detected_at else post.posted_at
    is_latest = case.last_post_at is None or post.posted_at >= case.last_post_at
    case.last_post_at = max(case.last_post_at, post.posted_at) if case.last_post_at else post.posted_at
    case.complaint_score = max(case.complaint_score or 0.0, verdict.complaint_score)
    if is_latest and case.label_source != LabelSource.staff:
        case.label, case.label_score, case.classifier_version = verdict.label, verdict.score, verdict.version


def store_posts(posts: list[Incoming], source: str, brand: Brand) -> Counts:
    """Store new posts, classify them and file them into cases; one commit. Own posts never become cases."""
    counts = Counts(fetched=len(posts))
    fresh = _new_only(posts, counts)
    own = [post for post in fresh if brand.user_id and post.author_id == brand.user_id]
    # The brand's own posts are kept (without a case) only so a later quote of one can be recognised.
    _insert_posts([_row_for(post, source, False, None, None) for post in own])
    counts.dropped += len(own)
    others = [post for post in fresh if not (brand.user_id and post.author_id == brand.user_id)]
    customers = _triage_worthy(others, brand, counts)
    new_cases = _file_into_cases(customers, source, brand) if customers else []
    counts.stored += len(customers)
    db.session.commit()
    if customers and current_app.config.get("BRIDGE_AUTO_INVITE"):
        enqueue(respond.auto_invite)
    if new_cases:
        webhooks.emit_many("bridge.case_created", [
            (webhooks.bridge_case_data(case), f"bridge.case_created:{case.id}") for case in new_cases])
    return counts


def _file_into_cases(posts: list[Incoming], source: str, brand: Brand) -> list[BridgeCase]:
    """File posts into cases; returns the cases this call opened."""
    verdicts = active_classifier(current_app.config).classify_many(post.text for post in posts)
    brand_posts = _brand_post_ids({post.quoted_post_id for post in posts if post.quoted_post_id}, brand)
    cases = _cases_for({post.case_key for post in posts})
    known = set(cases)
    now = utcnow()
    filed = []
    for post, verdict in sorted(zip(posts, verdicts), key=lambda pair: pair[0].posted_at):
        summoned = post.mentions_brand or post.quoted_post_id in brand_posts
        case = _case_for(post, cases, now)
        _update_case(case, post, summoned, verdict)
        filed.append((post, summoned, verdict, case))
    db.session.flush()  # new cases get their ids
    _insert_posts([_row_for(post, source, summoned, verdict, case.id) for post, summoned, verdict, case in filed])
    for case in cases.values():
        db.session.expire(case, ["posts"])  # the posts went in beside the ORM; reload on next access
    return [case for key, case in cases.items() if key not in known]


# --- polling X --------------------------------------------------------------------------------


def incoming_from_social(post: SocialPost, brand: Brand) -> Incoming:
    author = post.author
    mentions_brand = bool(brand.handle and brand.handle in {name.lower() for name in post.mentions}) or bool(
        brand.user_id and brand.user_id in post.mention_ids)
    return Incoming(
        post_id=post.id, author_id=post.author_id or "", text=post.text, posted_at=post.created_at or utcnow(),
        author_username=author.username if author else "", author_name=author.name if author else "",
        author_followers=author.followers_count if author else None, conversation_id=post.conversation_id,
        in_reply_to_post_id=post.replied_to_id, in_reply_to_user_id=post.in_reply_to_user_id,
        quoted_post_id=post.quoted_id, lang=post.lang, raw=dict(post.raw) if post.raw is not None else None,
        mentions_brand=mentions_brand,
        is_retweet=post.retweeted_id is not None or post.text.startswith("RT @"),
    )


def _fetch(client: SocialClient, source: str, brand: Brand, query: str | None, since_id: str | None,
           token: str | None) -> Page:
    if source == "mentions":
        return client.get_mentions(brand.user_id or "", since_id=since_id, pagination_token=token)
    return client.search_recent(query or "", since_id=since_id, next_token=token)


def _newer(a: str | None, b: str | None) -> str | None:
    """The larger of two post ids (compared as numbers: '100' is newer than '99')."""
    candidates = [value for value in (a, b) if value and value.isdigit()]
    return max(candidates, key=int) if candidates else (a or b)


def _cursor(source: str) -> BridgeCursor:
    cursor = db.session.scalar(select(BridgeCursor).where(BridgeCursor.network == NETWORK,
                                                          BridgeCursor.source == source))
    if cursor is None:
        cursor = BridgeCursor(network=NETWORK, source=source)
        db.session.add(cursor)
        try:
            db.session.commit()
        except IntegrityError:  # another poller made it first
            db.session.rollback()
            return _cursor(source)
    return cursor


@dataclass
class _PollState:
    log: BridgePollLog
    counts: Counts = field(default_factory=Counts)
    newest: str | None = None
    messages: list[str] = field(default_factory=list)

    def note_rate(self, rate: RateLimitInfo) -> None:
        window = rate.window
        if window is not None:
            self.log.rate_limit, self.log.rate_remaining, self.log.rate_reset_at = (
                window.limit, window.remaining, window.reset_at)

    def bad(self, message: str, count: int = 1) -> None:
        log.warning("bridge poll %s: %s", self.log.source, message)
        self.counts.bad_input += count
        self.messages.append(message)


def _note_page_problems(state: _PollState, page: Page) -> None:
    if page.partial_errors:
        details = "; ".join(error.detail or error.title for error in page.partial_errors[:3])
        state.bad(f"{len(page.partial_errors)} item errors next to the data: {details}", len(page.partial_errors))
    if page.coerced_ids:
        state.bad(f"{page.coerced_ids} ids arrived as numbers (converted to strings)")


def _page_newest(page: Page) -> str | None:
    newest = page.newest_id
    for post in page.posts:
        newest = _newer(newest, post.id)
    return newest


def poll_source(client: SocialClient, source: str, brand: Brand, query: str | None = None,
                max_pages: int = 10) -> Counts:
    """One poll of one source: every page since the cursor, each committed, then the cursor moves."""
    cursor = _cursor(source)
    state = _PollState(BridgePollLog(network=NETWORK, source=source, cursor_before=cursor.since_id))
    db.session.add(state.log)
    db.session.commit()
    try:
        _read_pages(client, source, brand, query, cursor.since_id, max_pages, state)
    except SocialError as error:
        state.counts.errors += 1
        state.note_rate(error.rate_limit)
        if isinstance(error, BadResponse):
            state.bad(f"unreadable answer: {error.message}")
        else:
            state.messages.append(f"{type(error).__name__}: {error.message}")
        log.warning("bridge poll %s failed: %s", source, error.message)
    except IntegrityError as error:
        # Another poller stored the same posts first; this page is re-read next time.
        db.session.rollback()
        state.counts.errors += 1
        state.messages.append(f"concurrent store: {error.orig}")
    else:
        cursor = _cursor(source)
        cursor.since_id = _newer(cursor.since_id, state.newest)
    _finish_log(state, cursor.since_id)
    return state.counts


def _read_pages(client: SocialClient, source: str, brand: Brand, query: str | None, since_id: str | None,
                max_pages: int, state: _PollState) -> None:
    token = None
    for _ in range(max_pages):
        page = _fetch(client, source, brand, query, since_id, token)
        state.log.requests += 1
        state.note_rate(page.rate_limit)
        _note_page_problems(state, page)
        incoming = [incoming_from_social(post, brand) for post in page.posts]
        state.counts.add(store_posts(incoming, source, brand))
        state.newest = _newer(state.newest, _page_newest(page))
        token = page.next_token
        if not token:
            return
    state.messages.append(f"stopped after {max_pages} pages; the rest waits for the next poll")


def _finish_log(state: _PollState, cursor_after: str | None) -> None:
    entry = state.log
    for name, value in asdict(state.counts).items():
        setattr(entry, name, value)
    entry.error_message = "\n".join(state.messages)[:4000]
    entry.cursor_after = cursor_after
    entry.finished_at = utcnow()
    db.session.add(entry)
    db.session.commit()


def posts_read_today(now: datetime | None = None) -> int:
    midnight = datetime.combine((now or utcnow()).date(), time.min, tzinfo=timezone.utc)
    return int(db.session.scalar(select(func.coalesce(func.sum(BridgePollLog.fetched), 0))
                                 .where(BridgePollLog.started_at >= midnight)) or 0)


def poll_configured() -> bool:
    config = current_app.config
    return bool(config.get("X_BEARER_TOKEN") and config.get("X_BRAND_USER_ID"))


def make_client(config: Mapping[str, Any]) -> SocialClient:
    from .x_api import XApiClient

    return XApiClient(base_url=config["X_API_BASE_URL"], bearer_token=config["X_BEARER_TOKEN"])


def poll_once(client: SocialClient | None = None) -> dict[str, Counts]:
    """Poll the mentions and (when keywords are set) the keyword search once."""
    from .settings import search_query

    config = current_app.config
    if client is None and not poll_configured():
        raise ValidationFailed("Set COMMUNITY_X_BEARER_TOKEN and COMMUNITY_X_BRAND_USER_ID to poll X.")
    if posts_read_today() >= int(config.get("BRIDGE_DAILY_READ_BUDGET", 10_000)):
        log.warning("bridge: the daily read budget is spent; skipping this poll")
        return {}
    brand = brand_from_config(config)
    owned = client is None
    client = client or make_client(config)
    try:
        results = {"mentions": poll_source(client, "mentions", brand, max_pages=int(config.get("BRIDGE_MAX_PAGES", 10)))}
        query = search_query()
        if query:
            results["search"] = poll_source(client, "search", brand, query, int(config.get("BRIDGE_MAX_PAGES", 10)))
    finally:
        if owned and hasattr(client, "close"):
            client.close()
    return results


@job("bridge.scheduled_poll")
def scheduled_poll() -> int:
    """The periodic task: one poll when X is configured; returns how many posts were stored."""
    if not poll_configured():
        return 0
    return sum(counts.stored for counts in poll_once().values())


# --- importing exported posts ----------------------------------------------------------------


def _jsonl_rows(text: str) -> list[TwcsRow]:
    rows = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            if not isinstance(record, dict):
                raise ValueError("not an object")
            rows.append(twcs_record_to_row({key: _as_text(value) for key, value in record.items()}))
        except (ValueError, KeyError) as error:
            raise ValidationFailed(f"line {number} is not a TWCS post: {error}") from error
    return rows


def _as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "True" if value else "False"
    return str(value)


def read_export(path: Path) -> list[TwcsRow]:
    """TWCS rows from a CSV export or JSON lines with the same fields."""
    try:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            text = handle.read()
    except (OSError, UnicodeDecodeError) as error:
        raise ValidationFailed(f"{path.name} cannot be read as UTF-8 text: {error}") from error
    if path.suffix.lower() in (".jsonl", ".json", ".ndjson") or text.lstrip().startswith("{"):
        return _jsonl_rows(text)
    try:
        return parse_twcs(text)
    except (KeyError, ValueError) as error:
        raise ValidationFailed(f"{path.name} is not a TWCS export: {error}") from error


def _conversation_roots(rows: list[TwcsRow]) -> dict[str, str]:
    parents = {row.tweet_id: row.in_response_to for row in rows}
    roots = {}
    for row in rows:
        current, seen = row.tweet_id, {row.tweet_id}
        while parents.get(current) and parents[current] not in seen:
            current = parents[current]
            seen.add(current)
        roots[row.tweet_id] = current
    return roots


def incoming_from_twcs(row: TwcsRow, root: str, brand: Brand) -> Incoming:
    return Incoming(
        post_id=row.tweet_id, author_id=user_id_for(row.author), author_username=row.author, text=row.text,
        posted_at=row.created_at.astimezone(timezone.utc), conversation_id=root,
        in_reply_to_post_id=row.in_response_to, lang=None,
        raw={"tweet_id": row.tweet_id, "author_id": row.author, "inbound": row.inbound,
             "created_at": row.created_at.isoformat(), "text": row.text,
             "response_tweet_id": list(row.response_tweet_ids), "in_response_to_tweet_id": row.in_response_to},
        mentions_brand=brand.mentioned_in(row.text), is_retweet=row.text.startswith("RT @"),
    )


def import_export(path: Path) -> Counts:
    """Import a TWCS export: inbound (customer) posts become cases; brand replies are skipped. Idempotent."""
    rows = read_export(path)
    brand = brand_from_config(current_app.config)
    roots = _conversation_roots(rows)
    total = Counts()
    inbound = [incoming_from_twcs(row, roots[row.tweet_id], brand) for row in rows if row.inbound]
    total.fetched += len(rows) - len(inbound)
    total.dropped += len(rows) - len(inbound)
    for start in range(0, len(inbound), BATCH):
        total.add(store_posts(inbound[start : start + BATCH], "import", brand))
    return total


# --- deleted posts ------------------------------------------------------------------------------


PURGE_WITHIN = timedelta(hours=24)


def mark_deleted(post_ids: Iterable[str]) -> int:
    """X told us these posts are gone: mark them now; their text and raw JSON are purged by the job."""
    ids = sorted(set(post_ids))
    marked = 0
    for chunk in _chunks(ids):
        result = db.session.execute(
            update(BridgePost)
            .where(BridgePost.network == NETWORK, BridgePost.post_id.in_(chunk), BridgePost.deleted_at.is_(None))
            .values(deleted_at=utcnow())
        )
        marked += result.rowcount or 0
    db.session.commit()
    if marked:
        enqueue(purge_deleted)
    return marked


@job("bridge.purge_deleted")
def purge_deleted() -> int:
    """Remove text and raw JSON of every post marked deleted (scheduled; well inside PURGE_WITHIN)."""
    result = db.session.execute(
        update(BridgePost)
        .where(BridgePost.deleted_at.is_not(None), BridgePost.purged_at.is_(None))
        .values(text=None, raw=None, purged_at=utcnow())
    )
    db.session.commit()
    return result.rowcount or 0


# --- status ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SourceStatus:
    source: str
    since_id: str | None
    last_poll: BridgePollLog | None
    last_error: BridgePollLog | None


@dataclass(frozen=True)
class BridgeStatus:
    configured: bool
    sources: list[SourceStatus]
    recent: list[BridgePollLog]
    read_today: int
    daily_budget: int
    errors_today: int
    bad_input_today: int


def _latest_log(source: str, errors_only: bool = False) -> BridgePollLog | None:
    query = select(BridgePollLog).where(BridgePollLog.network == NETWORK, BridgePollLog.source == source)
    if errors_only:
        query = query.where(BridgePollLog.errors + BridgePollLog.bad_input > 0)
    return db.session.scalars(query.order_by(BridgePollLog.id.desc()).limit(1)).first()


def poll_status(user) -> BridgeStatus:
    """What the admin status page shows: last polls, errors, rate-limit headroom, today's budget."""
    from .. import policies
    from ..errors import PermissionDenied

    if not policies.can_admin_bridge(user):
        raise PermissionDenied("The X bridge status page is for admins.")
    midnight = datetime.combine(utcnow().date(), time.min, tzinfo=timezone.utc)
    today = select(func.coalesce(func.sum(BridgePollLog.errors), 0), func.coalesce(func.sum(BridgePollLog.bad_input), 0)
                   ).where(BridgePollLog.started_at >= midnight)
    errors_today, bad_today = db.session.execute(today).one()
    sources = [SourceStatus(source, db.session.scalar(select(BridgeCursor.since_id).where(
        BridgeCursor.network == NETWORK, BridgeCursor.source == source)), _latest_log(source),
        _latest_log(source, errors_only=True)) for source in SOURCES]
    recent = list(db.session.scalars(select(BridgePollLog).order_by(BridgePollLog.id.desc()).limit(20)))
    return BridgeStatus(poll_configured(), sources, recent, posts_read_today(),
                        int(current_app.config.get("BRIDGE_DAILY_READ_BUDGET", 10_000)), int(errors_today), int(bad_today))
