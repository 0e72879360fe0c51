"""Atom feeds and the sitemap: only what an anonymous visitor may read.

Public means: a live public category, a live thread that is neither private, pending nor merged
away, whose opening post is neither deleted, hidden nor pending. The listings' own filter
(`forum.visible_threads(None)`) plus those extra conditions, so feeds never run ahead of policies.
Each feed or sitemap page is one query (no per-thread queries).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Iterator
from xml.sax.saxutils import escape

from sqlalchemy import Select, and_, func, select
from sqlalchemy.orm import aliased

from ..errors import NotFound
from ..extensions import db
from ..models import Category, Post, Thread, User, utcnow
from .. import policies
from . import forum
from .mail import base_url

FEED_ENTRIES = 30
SITEMAP_URLS = 50_000  # the sitemaps.org limit per file


@dataclass(frozen=True)
class Entry:
    thread_id: int
    title: str
    path: str
    author: str
    published: datetime
    updated: datetime
    content_html: str
    category: str


@dataclass(frozen=True)
class Feed:
    title: str
    path: str           # the feed's own path
    alternate: str      # the HTML page it mirrors
    updated: datetime
    entries: list[Entry]


def thread_path(thread_id: int, slug: str) -> str:
    # Mirrors forum.thread's route; built by hand because the sitemap writes 50,000 of them at once.
    return f"/t/{thread_id}-{slug}" if slug else f"/t/{thread_id}"


# The opening post, joined by (thread_id, position), the posts table's unique index.
OPENING = aliased(Post, name="opening")


def _public(*columns) -> Select:
    """Rows about public threads, as plain columns (no ORM entities: the sitemap reads 50,000).
    The same rules as `forum.visible_threads(None)`, plus merged threads and hidden openings."""
    return (
        select(*columns)
        .select_from(Thread)
        # "+ 0" keeps the planner from driving the query from categories (then sorting every
        # public thread for LIMIT 30): threads are walked in id order and categories looked up.
        .join(Category, Category.id == Thread.category_id + 0)
        .join(OPENING, and_(OPENING.thread_id == Thread.id, OPENING.position == 1))
        .where(
            Category.deleted_at.is_(None), Category.visibility.in_(policies.readable_visibilities(None)),
            Thread.deleted_at.is_(None), Thread.is_private.is_(False), Thread.is_pending.is_(False),
            Thread.merged_into_id.is_(None),
            OPENING.deleted_at.is_(None), OPENING.is_hidden.is_(False), OPENING.is_pending.is_(False),
        )
    )


def _entries(query: Select) -> list[Entry]:
    return [
        Entry(
            thread_id=row.id, title=row.title, path=thread_path(row.id, row.slug), author=row.display_name,
            published=row.created_at, updated=row.solved_at or row.last_activity_at or row.created_at,
            # body_html is the sanitizer's output, stored when the post was written (as the thread
            # page shows it); sanitizing 30 bodies again per request cost ~10x the rest of the feed.
            content_html=row.body_html, category=row.name,
        )
        for row in db.session.execute(query.limit(FEED_ENTRIES))
    ]


def _feed_rows() -> Select:
    return _public(
        Thread.id, Thread.title, Thread.slug, Thread.created_at, Thread.last_activity_at, Thread.solved_at,
        Category.name, User.display_name, OPENING.body_html,
    ).join(User, User.id == Thread.author_id)


def latest_feed(site_name: str) -> Feed:
    """The newest public threads, site-wide."""
    entries = _entries(_feed_rows().order_by(Thread.id.desc()))
    updated = max((entry.published for entry in entries), default=utcnow())
    return Feed(f"{site_name}: latest threads", "/latest.atom", "/latest", updated, entries)


def public_category(slug: str) -> Category:
    """The public category at `slug`; forum.Unreadable for gated, deleted or unknown ones alike (a
    feed reader has no session, so members-only feeds do not exist). Old slugs are followed."""
    category, _renamed = forum.category_for_viewer(None, slug)
    return category


def solved_feed(site_name: str, category: Category) -> Feed:
    query = (_feed_rows()
             .where(Thread.category_id == category.id, forum.STATE_FILTERS["solved"]())
             .order_by(Thread.solved_at.desc(), Thread.id.desc()))
    entries = _entries(query)
    updated = max((entry.updated for entry in entries), default=category.created_at)
    return Feed(f"{site_name}: solved in {category.name}", f"/c/{category.slug}/solved.atom",
                f"/c/{category.slug}?state=solved", updated, entries)


# --- sitemap ----------------------------------------------------------------------------------------


def _public_thread_rows() -> Select:
    return _public(Thread.id, Thread.slug, Thread.last_activity_at)


def sitemap_size() -> int:
    """About how many public threads there are, from the categories' stored counters: counting
    the public threads themselves scans them all (seconds at 100k threads). Threads the counters
    include but the sitemap leaves out (merged, hidden) can leave the last file short, never missing."""
    return db.session.scalar(
        select(func.coalesce(func.sum(Category.thread_count), 0)).where(
            Category.deleted_at.is_(None), Category.visibility.in_(policies.readable_visibilities(None))
        )
    ) or 0


def sitemap_pages() -> int:
    """How many sitemap files the public threads need (1 means no index: /sitemap.xml lists them)."""
    return max(1, -(-sitemap_size() // SITEMAP_URLS))


def sitemap_urls(page: int) -> Iterator[tuple[str, datetime]]:
    """(absolute URL, last modified) for page `page` (1-based), in thread id order."""
    if page < 1 or (page > 1 and page > sitemap_pages()):
        raise NotFound("There is no such sitemap.")
    base = base_url()
    query = _public_thread_rows().order_by(Thread.id).offset((page - 1) * SITEMAP_URLS).limit(SITEMAP_URLS)
    for thread_id, slug, last_activity in db.session.execute(query):
        yield base + thread_path(thread_id, slug), last_activity


def sitemap_xml(page: int) -> str:
    """One <urlset> file, written directly: a template loop costs ~10x more at 50,000 URLs."""
    lines = ['<?xml version="1.0" encoding="utf-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">']
    for url, modified in sitemap_urls(page):
        lines.append(f"<url><loc>{escape(url)}</loc><lastmod>{modified:%Y-%m-%dT%H:%M:%SZ}</lastmod></url>")
    lines.append("</urlset>\n")
    return "\n".join(lines)


def site_base() -> str:
    """The canonical origin links are built on (branding's base URL, else BASE_URL); ask once per response."""
    return base_url()
