"""oEmbed for public threads, and the thread card its iframe shows."""
from __future__ import annotations

import re
from html import escape
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select

from .. import policies
from ..errors import NotFound, ValidationFailed
from ..extensions import db
from ..models import Post, Thread, VerifiedAnswer
from .links import OembedLinks
from .service import excerpt_of

_THREAD_PATH = re.compile(r"/t/([0-9]{1,9})(?:-[^/]*)?/?")
MAX_URL_CHARS = 500
CARD_HEIGHT = 190
DEFAULT_WIDTH = 560


def public_thread(thread_id: int) -> Thread:
    """The thread if anyone may read it; NotFound otherwise, never saying which case it was."""
    thread = db.session.get(Thread, thread_id)
    if thread is None or thread.merged_into_id or not policies.can_read_thread(None, thread):
        raise NotFound("There is no such public thread.")
    return thread


def thread_id_from_url(url: str, own_base: str) -> int:
    if not url or len(url) > MAX_URL_CHARS:
        raise ValidationFailed("Give the URL of a thread.", fields={"url": "Missing or too long."})
    parts, own = urlsplit(url), urlsplit(own_base)
    if parts.scheme not in ("http", "https") or parts.netloc.lower() != own.netloc.lower():
        raise NotFound("That URL is not a thread in this community.")
    match = _THREAD_PATH.fullmatch(parts.path)
    if match is None:
        raise NotFound("That URL is not a thread in this community.")
    return int(match.group(1))


def oembed_for(url: str, own_base: str, max_width: int | None, links: OembedLinks) -> dict[str, Any]:
    thread = public_thread(thread_id_from_url(url, own_base))
    width = min(max_width or DEFAULT_WIDTH, DEFAULT_WIDTH)
    src = links.card(thread.id)
    html = (
        f'<iframe src="{escape(src)}" width="{width}" height="{CARD_HEIGHT}" title="{escape(thread.title)}" '
        'loading="lazy" frameborder="0"></iframe>'
    )
    return {
        "version": "1.0", "type": "rich", "provider_name": _provider_name(),
        "provider_url": links.community, "title": thread.title,
        "author_name": thread.author.display_name, "width": width, "height": CARD_HEIGHT, "html": html,
        "cache_age": 300,
    }


def _provider_name() -> str:
    from ..services.branding import get_branding

    return get_branding().get("name") or "Community"


def thread_card(thread_id: int, links: OembedLinks) -> dict[str, Any]:
    thread = public_thread(thread_id)
    opening = db.session.scalar(select(Post).where(
        Post.thread_id == thread.id, Post.position == 1, Post.deleted_at.is_(None),
        Post.is_hidden.is_(False), Post.is_pending.is_(False),
    ))
    verified = db.session.scalar(select(VerifiedAnswer.id).where(VerifiedAnswer.thread_id == thread.id)) is not None
    return {
        "title": thread.title, "excerpt": excerpt_of(opening.body_html) if opening else "",
        "replies": thread.reply_count, "verified": verified, "solved": verified or thread.solved_at is not None,
        "url": links.thread(thread.id, thread.slug),
        "category": thread.category.name, "community": _provider_name(),
    }


def discovery_url(thread: Thread, links: OembedLinks) -> str | None:
    """The oEmbed discovery link for a thread page, only when the thread is public."""
    if not policies.can_read_thread(None, thread):
        return None
    return links.oembed(links.thread(thread.id, thread.slug))
