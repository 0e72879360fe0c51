"""The page cache's allowlist: a table moves cached pages only when a domain declares it.

Every table in the metadata takes a side here: in some domain's PAGE_TABLES (page_cache.store's
CACHED_TABLES is their union) or in NOT_ON_CACHED_PAGES below. A new table fails the first test
until someone decides, and until then its writes leave every cached page alone.
"""
from __future__ import annotations

import pytest
from sqlalchemy import Integer, String, delete, insert, text, update
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from community.extensions import db
from community.models import Base, ScheduledRun
from community.page_cache.store import CACHED_TABLES

# Tables no cached page shows: their writes must not empty the cache.
NOT_ON_CACHED_PAGES = frozenset({
    "notifications", "notification_preferences", "notification_settings", "notification_digests",
    "search_outbox", "search_documents", "search_events", "deflection_events", "widget_event_counts",
    "used_tokens", "revoked_logins", "audit_entries", "accept_reminders", "bridge_poll_logs", "bridge_cursors",
    "webhook_deliveries", "webhook_events", "webhook_endpoints",
    # The X bridge is staff-only: no cached page shows it. (BridgePost.post_id is an X id, not a Post.)
    "bridge_cases", "bridge_posts", "bridge_outbound", "bridge_opt_outs", "bridge_canned_responses",
    "bridge_invites", "bridge_account_links", "bridge_join_rejections",
    # The PostgreSQL search backend's own tables, written with text() after every indexed reply.
    "search_words", "search_ranks",
    # Staff-only figures and credentials: the dashboard, SLA clocks, CSAT answers and API tokens.
    "metrics_thread_facts", "metrics_post_sentiment", "sla_targets", "sla_breaches", "csat_surveys", "api_tokens",
    # The scheduler's claims (jobs/scheduler.py). Not in the old denylist, so every periodic task's
    # claim emptied the cache, about once a minute.
    "scheduled_runs",
    # A member's watch levels and reads (community/tags/watching.py): the listings they change are made
    # for that member alone; the signed-in home page's fingerprint carries the levels' last change.
    "category_watches", "tag_watches", "thread_reads",
    # What a cached page shows of a file is in its post's body_html, written with the post (and a
    # post change moves the page: a staff removal renders the post again, which also moves the
    # search page's paperclip count); the file's own read check runs per request at /attachments/.
    # Flags on files show in the staff queue only, never cached.
    "attachments", "attachment_flags",
    # Providers and sign-ins show on the sign-in, join and admin pages, which are never cached.
    "identity_providers", "identity_links", "identity_logins",
    # Composer drafts are read by their owner's composer script (JSON, never cached); no page prints them.
    "drafts",
})


def test_every_table_is_declared_cached_or_said_to_show_on_no_cached_page():
    tables = set(Base.metadata.tables)
    undecided = tables - CACHED_TABLES - NOT_ON_CACHED_PAGES
    assert not undecided, f"add these to a domain's PAGE_TABLES or to NOT_ON_CACHED_PAGES: {sorted(undecided)}"
    assert not CACHED_TABLES & NOT_ON_CACHED_PAGES
    assert CACHED_TABLES <= tables and NOT_ON_CACHED_PAGES <= tables, "a declared table that no longer exists"


class OtherBase(DeclarativeBase):
    pass


class Gadget(OtherBase):
    """A table added by a new domain that has not declared it: it even names a thread."""

    __tablename__ = "gadgets_not_declared"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    thread_id: Mapped[int] = mapped_column(Integer)
    label: Mapped[str] = mapped_column(String(40))


@pytest.fixture
def gadgets(app):
    OtherBase.metadata.create_all(db.engine)
    yield Gadget
    db.session.rollback()
    OtherBase.metadata.drop_all(db.engine)


def _cache_state(client, path: str) -> str:
    return client.get(path).headers["X-Page-Cache"]


def test_writes_to_a_table_no_domain_declared_leave_cached_pages_alone(client, gadgets, make_thread):
    thread = make_thread(title="Cached while gadgets change")
    pages = [f"/t/{thread.id}-{thread.slug}", "/"]
    for path in pages:
        _cache_state(client, path)
    writes = [
        lambda: db.session.add(Gadget(id=1, thread_id=thread.id, label="new")),
        lambda: setattr(db.session.get(Gadget, 1), "label", "changed"),
        lambda: db.session.delete(db.session.get(Gadget, 1)),
        lambda: db.session.execute(insert(Gadget), [{"id": 2, "thread_id": thread.id, "label": "bulk"}]),
        lambda: db.session.execute(update(Gadget).values(label="bulk update")),
        lambda: db.session.execute(delete(Gadget)),
        lambda: db.session.execute(text("INSERT INTO gadgets_not_declared (id, thread_id, label) VALUES (3, 1, 'raw')")),
    ]
    for write in writes:
        write()
        db.session.commit()
        assert [_cache_state(client, path) for path in pages] == ["hit", "hit"]


def test_the_schedulers_claims_leave_cached_pages_alone(client, make_thread):
    thread = make_thread()
    path = f"/t/{thread.id}-{thread.slug}"
    _cache_state(client, path)
    db.session.add(ScheduledRun(task="webhooks.retry_due", slot=1))
    db.session.commit()
    assert _cache_state(client, path) == "hit"


def test_a_write_to_a_declared_table_still_moves_the_pages(client, make_thread):
    thread = make_thread(title="Before the rename")
    path = f"/t/{thread.id}-{thread.slug}"
    _cache_state(client, path)
    db.session.execute(text("UPDATE site_settings SET value = value"))  # declared by the forum core
    db.session.commit()
    assert _cache_state(client, path) == "miss"
