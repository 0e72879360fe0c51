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

from ..errors import NotFound, PermissionDenied
from ..extensions import db
from ..models import Category, Post, Thread, utcnow
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


def _public_threads_with_opening() -> Select:
    opening = aliased(Post)
    return (
        forum.visible_threads(None)
        .join(opening, and_(opening.thread_id == Thread.id, opening.position == 1))
        .where(
            Thread.merged_into_id.is_(None), opening.deleted_at.is_(None),
            opening.is_hidden.is_(False), opening.is_pending.is_(False),
        )
        .add_columns(opening)
    )


def _entries(query: Select) -> list[Entry]:
    entries = []
    for thread, opening in db.session.execute(query.limit(FEED_ENTRIES)).unique():
        entries.append(Entry(
            thread_id=thread.id, title=thread.title, path=thread_path(thread.id, thread.slug),
            author=thread.author.display_name, published=thread.created_at,
            updated=thread.solved_at or thread.last_activity_at or thread.created_at,
            # body_html is the sanitizer's output, stored when the post was written (as the thread
            # page shows it); sanitizing 30 bodies again per request cost ~10x the rest of the feed.
            content_html=opening.body_html, category=thread.category.name,
        ))
    return entries


def latest_feed(site_name: str) -> Feed:
    """The newest public threads, site-wide."""
    entries = _entries(_public_threads_with_opening().order_by(Thread.id.desc()))
    updated = max((entry.published for entry in entries), default=utcnow())
    return Feed(f"{site_name}: latest threads", "/latest.atom", "/latest", updated, entries)


def public_category(slug: str) -> Category:
    """The public category at `slug`; NotFound for gated, deleted or unknown ones (a feed reader
    has no session, so members-only feeds do not exist). Old slugs are followed."""
    try:
        category, _renamed = forum.category_for_viewer(None, slug)
    except PermissionDenied as denied:
        raise NotFound("There is no such feed.") from denied
    return category


def solved_feed(site_name: str, category: Category) -> Feed:
    query = (_public_threads_with_opening()
             .where(Thread.category_id == category.id, forum.STATE_FILTERS["solved"]())
             .order_by(Thread.solved_at.desc(), Thread.id.desc()))
    entries = _entries(query)
    updated = max((entry.updated for entry in entries), default=category.created_at)
    return Feed(f"{site_name}: solved in {category.name}", f"/c/{category.slug}/solved.atom",
                f"/c/{category.slug}?state=solved", updated, entries)


# --- sitemap ----------------------------------------------------------------------------------------


def _public_thread_rows() -> Select:
    return _public_threads_with_opening().with_only_columns(Thread.id, Thread.slug, Thread.last_activity_at)


def sitemap_size() -> int:
    return db.session.scalar(select(func.count()).select_from(_public_thread_rows().subquery())) or 0


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
