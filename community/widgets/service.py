"""Embeddable widgets: marketers manage them; the embed routes get public-only, cached data."""
from __future__ import annotations

from functools import partial

import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any, Mapping
from urllib.parse import urlsplit

from sqlalchemy import func, select

from .. import policies
from ..content.excerpts import plain_excerpt
from ..errors import NotFound, ValidationFailed
from ..extensions import db
from ..models import Category, Post, Tag, Thread, User, VerifiedAnswer, thread_tags, utcnow
from ..models.widgets import Widget, WidgetKind, WidgetSort, WidgetTheme
from . import cache as widget_cache
from .links import WidgetLinks
from ..services.forum import visible_threads
from .labels import LABELS

MAX_ITEMS = 20
MAX_ORIGINS = 20
MAX_QUERY_CHARS = 200
EXCERPT_CHARS = 160
_HOST = re.compile(r"(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*")
FORM_FIELDS = ("name", "kind", "item_count", "theme", "language", "sort", "tag", "allowed_origins")


# --- managing widgets (marketers and admins) -----------------------------------------------------


require_manager = partial(policies.ensure, policies.can_manage_widgets, message="Only marketers and administrators can manage widgets.")


def list_widgets(user: User | None) -> list[Widget]:
    require_manager(user)
    return list(db.session.scalars(select(Widget).order_by(Widget.name, Widget.id)))


def get_widget(user: User | None, widget_id: int) -> Widget:
    require_manager(user)
    widget = db.session.get(Widget, widget_id)
    if widget is None:
        raise NotFound("There is no such widget.")
    return widget


def widget_categories_choices(user: User | None) -> list[Category]:
    """Only public categories can feed a widget; anything else would never show anyway."""
    require_manager(user)
    return [c for c in db.session.scalars(
        select(Category).where(Category.deleted_at.is_(None)).order_by(Category.position, Category.name)
    ) if policies.can_read_category(None, c)]


def create_widget(user: User | None, form: Mapping[str, Any]) -> Widget:
    require_manager(user)
    widget = Widget(created_by_id=user.id)
    _apply_form(widget, form)
    db.session.add(widget)
    db.session.commit()
    return widget


def update_widget(user: User | None, widget_id: int, form: Mapping[str, Any]) -> Widget:
    widget = get_widget(user, widget_id)
    _apply_form(widget, form)
    widget.updated_at = utcnow()
    db.session.commit()
    return widget


def set_enabled(user: User | None, widget_id: int, enabled: bool) -> Widget:
    widget = get_widget(user, widget_id)
    widget.is_enabled = enabled
    widget.updated_at = utcnow()
    db.session.commit()
    return widget


def delete_widget(user: User | None, widget_id: int) -> None:
    widget = get_widget(user, widget_id)
    db.session.delete(widget)
    db.session.commit()


def _apply_form(widget: Widget, form: Mapping[str, Any]) -> None:
    values, errors = clean_form(form)
    if errors:
        db.session.rollback()
        raise ValidationFailed("Please correct the marked fields.", fields=errors)
    for name in ("name", "kind", "item_count", "theme", "language", "sort", "tag", "allowed_origins"):
        setattr(widget, name, values[name])
    widget.categories = values["categories"]


def clean_form(form: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    errors: dict[str, str] = {}
    values: dict[str, Any] = {"name": str(form.get("name") or "").strip()}
    if not values["name"] or len(values["name"]) > 80:
        errors["name"] = "Give the widget a name of up to 80 characters."
    values["kind"] = _choice(form.get("kind"), WidgetKind, "kind", "Choose a widget type.", errors)
    values["theme"] = _choice(form.get("theme") or "brand", WidgetTheme, "theme", "Choose a theme.", errors)
    values["sort"] = _choice(form.get("sort") or "latest", WidgetSort, "sort", "Choose an order.", errors)
    values["language"] = str(form.get("language") or "en")
    if values["language"] not in LABELS:
        errors["language"] = "Choose one of the offered languages."
    values["item_count"] = _item_count(form.get("item_count"), errors)
    values["tag"] = str(form.get("tag") or "").strip().lower()
    if len(values["tag"]) > 50:
        errors["tag"] = "A tag has at most 50 characters."
    values["allowed_origins"] = _origins_text(str(form.get("allowed_origins") or ""), errors)
    values["categories"] = _categories(form.get("category_ids") or [], errors)
    return values, errors


def _choice(raw: Any, kind: type, field: str, message: str, errors: dict[str, str]):
    try:
        return kind(str(raw or ""))
    except ValueError:
        errors[field] = message
        return None


def _item_count(raw: Any, errors: dict[str, str]) -> int:
    try:
        count = int(str(raw or "5").strip())
    except ValueError:
        count = 0
    if not 1 <= count <= MAX_ITEMS:
        errors["item_count"] = f"Show between 1 and {MAX_ITEMS} items."
    return count


def _categories(raw_ids: Any, errors: dict[str, str]) -> list[Category]:
    try:
        ids = {int(value) for value in raw_ids}
    except (TypeError, ValueError):
        errors["category_ids"] = "Choose categories from the list."
        return []
    found = list(db.session.scalars(select(Category).where(Category.id.in_(ids)))) if ids else []
    if len(found) != len(ids) or any(not policies.can_read_category(None, c) for c in found):
        errors["category_ids"] = "Only public categories can feed a widget."
    return found


def normalise_origin(raw: str) -> str:
    """scheme://host[:port] in lower case, or ValueError saying what is wrong with it."""
    text = raw.strip()
    parts = urlsplit(text.lower())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"{text!r} is not an origin like https://www.example.com.")
    if parts.path not in ("", "/") or parts.query or parts.fragment or "@" in parts.netloc:
        raise ValueError(f"{text!r} must not have a path, query or user name.")
    try:
        port = parts.port
    except ValueError:
        raise ValueError(f"{text!r} has an invalid port.") from None
    host = parts.hostname or ""
    if not _HOST.fullmatch(host) or "*" in host[2:]:
        raise ValueError(f"{text!r} has an invalid host; a wildcard may only be a leading *.")
    return f"{parts.scheme}://{host}" + (f":{port}" if port else "")


def _origins_text(raw: str, errors: dict[str, str]) -> str:
    origins: list[str] = []
    problems: list[str] = []
    for line in re.split(r"[\s,]+", raw):
        if not line:
            continue
        try:
            origin = normalise_origin(line)
        except ValueError as problem:
            problems.append(str(problem))
            continue
        if origin not in origins:
            origins.append(origin)
    if problems:
        errors["allowed_origins"] = " ".join(problems[:3])
    elif not origins:
        errors["allowed_origins"] = "List at least one site, e.g. https://www.example.com."
    elif len(origins) > MAX_ORIGINS:
        errors["allowed_origins"] = f"List at most {MAX_ORIGINS} sites."
    return "\n".join(origins)


def origin_allowed(origins: list[str], origin: str) -> bool:
    """Exact match, or a "*.example.com" entry matching a subdomain (not example.com itself)."""
    origin = origin.lower()
    if origin in origins:
        return True
    scheme, _, host_port = origin.partition("://")
    for allowed in origins:
        allowed_scheme, _, allowed_host = allowed.partition("://")
        if allowed_host.startswith("*.") and allowed_scheme == scheme and host_port.endswith(allowed_host[1:]):
            return True
    return False


def form_values(widget: Widget | None) -> dict[str, Any]:
    if widget is None:
        return {"name": "", "kind": "solved", "item_count": 5, "theme": "brand", "language": "en",
                "sort": "latest", "tag": "", "allowed_origins": "", "category_ids": []}
    values = {name: getattr(widget, name) for name in FORM_FIELDS}
    for name in ("kind", "theme", "sort"):
        values[name] = values[name].value
    values["category_ids"] = [str(c.id) for c in widget.categories]
    return values


# --- serving widgets (public, cookie-less, cached) -------------------------------------------------


@dataclass
class EmbedEntry:
    """What the embed routes need about a widget, all from the cache."""

    found: bool
    origins: list[str]
    body: str = ""
    etag: str = ""
    kind: str = ""


def embed_entry(widget_id: int, links: WidgetLinks) -> EmbedEntry:
    """A live widget's origins and JSON body; found=False for unknown or disabled widgets."""
    key = widget_cache.entry_key(widget_id, widget_cache.content_version())
    cached = widget_cache.get(key)
    if cached is None:
        cached = _build_entry(widget_id, links)
        widget_cache.put(key, cached)
    return EmbedEntry(**cached)


def _build_entry(widget_id: int, links: WidgetLinks) -> dict[str, Any]:
    widget = db.session.get(Widget, widget_id)
    if widget is None or not widget.is_enabled:
        return {"found": False, "origins": []}
    body = json.dumps(widget_payload(widget, links), separators=(",", ":"), ensure_ascii=False)
    etag = hashlib.sha256(body.encode()).hexdigest()[:32]
    return {"found": True, "origins": widget.origins, "body": body, "etag": etag, "kind": widget.kind.value}


def live_widget(widget_id: int) -> Widget:
    widget = db.session.get(Widget, widget_id)
    if widget is None or not widget.is_enabled:
        raise NotFound("There is no such widget.")
    return widget


def widget_payload(widget: Widget, links: WidgetLinks) -> dict[str, Any]:
    """Everything a widget shows. Only public content, whoever asks: the query runs as anonymous."""
    from .stats import community_stats

    payload: dict[str, Any] = {
        "id": widget.id, "kind": widget.kind.value, "theme": widget.theme.value, "lang": widget.language,
        "labels": LABELS.get(widget.language, LABELS["en"]), "colors": _brand_colors(),
        "links": {"community": links.community, "search": links.search, "ask": links.ask},
        "items": [],
    }
    if widget.kind in (WidgetKind.solved, WidgetKind.latest):
        listed = _listed_threads(widget)
        verified = verified_thread_ids([thread.id for thread, _excerpt in listed])
        payload["items"] = [_item(thread, excerpt, thread.id in verified, links) for thread, excerpt in listed]
    elif widget.kind == WidgetKind.stats:
        payload["stats"] = community_stats([c.id for c in widget.categories])
    return payload


def _brand_colors() -> dict[str, str]:
    from ..services.branding import get_branding

    brand = get_branding()
    return {"primary": _hex(brand.get("primary_color"), "#1f5eff"), "accent": _hex(brand.get("accent_color"), "#ff7a1a")}


def _hex(value: Any, fallback: str) -> str:
    return value if isinstance(value, str) and re.fullmatch(r"#[0-9a-fA-F]{3,8}", value) else fallback


def public_widget_threads(widget: Widget):
    """Public, live threads in the widget's categories (all public categories if none chosen)."""
    query = visible_threads(None)
    if widget.categories:
        query = query.where(Thread.category_id.in_([c.id for c in widget.categories]))
    if widget.tag:
        query = query.where(Thread.id.in_(
            select(thread_tags.c.thread_id).join(Tag, Tag.id == thread_tags.c.tag_id).where(Tag.name == widget.tag)
        ))
    return query


def _listed_threads(widget: Widget) -> list[tuple[Thread, str]]:
    query = public_widget_threads(widget)
    if widget.kind == WidgetKind.solved:
        query = query.join(VerifiedAnswer, VerifiedAnswer.thread_id == Thread.id)
        order = (Thread.view_count.desc(),) if widget.sort == WidgetSort.most_viewed else ()
        query = query.order_by(*order, VerifiedAnswer.verified_at.desc(), Thread.id.desc())
    else:
        query = query.order_by(Thread.last_activity_at.desc(), Thread.id.desc())
    threads = list(db.session.scalars(query.limit(widget.item_count)))
    excerpts = _excerpts([t.id for t in threads])
    return [(thread, excerpts.get(thread.id, "")) for thread in threads]


def _excerpts(thread_ids: list[int]) -> dict[int, str]:
    if not thread_ids:
        return {}
    rows = db.session.execute(
        select(Post.thread_id, Post.body_html).where(
            Post.thread_id.in_(thread_ids), Post.position == 1, Post.deleted_at.is_(None),
            Post.is_hidden.is_(False), Post.is_pending.is_(False),
        )
    )
    return {thread_id: excerpt_of(html) for thread_id, html in rows}


def excerpt_of(html: str) -> str:
    """A card's excerpt: plain text; the JSON, the frame and the card escape it once when they show it."""
    return plain_excerpt(html, EXCERPT_CHARS)


def verified_thread_ids(thread_ids: list[int]) -> set[int]:
    if not thread_ids:
        return set()
    return set(db.session.scalars(select(VerifiedAnswer.thread_id).where(VerifiedAnswer.thread_id.in_(thread_ids))))


def _item(thread: Thread, excerpt: str, verified: bool, links: WidgetLinks) -> dict[str, Any]:
    return {
        "id": thread.id, "title": thread.title, "url": links.thread(thread.id, thread.slug),
        "excerpt": excerpt, "replies": thread.reply_count, "solved": verified or thread.solved_at is not None, "verified": verified,
    }


def search_widget(widget_id: int, query: str, links: WidgetLinks) -> dict[str, Any]:
    """Live results for a search widget: anonymous search, so only public threads."""
    return widget_search_results(live_widget(widget_id), query, links)


def widget_search_results(widget, query: str, links: WidgetLinks) -> dict[str, Any]:
    """Search results as a widget (saved, or a draft being previewed) shows them."""
    from ..search.queries import SearchFilters, search

    if len(query) > MAX_QUERY_CHARS:
        raise ValidationFailed(f"Search for at most {MAX_QUERY_CHARS} characters.", fields={"q": "Too long."})
    categories = [c.id for c in widget.categories]
    filters = SearchFilters(per_page=widget.item_count, category_id=categories[0] if len(categories) == 1 else None)
    page = search(None, query, filters)
    threads = [
        item.thread for item in page.items
        if policies.can_read_thread(None, item.thread) and (not categories or item.thread.category_id in categories)
    ]
    verified = verified_thread_ids([t.id for t in threads])
    return {
        "query": page.query, "total": page.total,
        "items": [_item(t, "", t.id in verified, links) for t in threads],
        "more": links.search_for(page.query),
    }


def count_widgets() -> int:
    return db.session.scalar(select(func.count(Widget.id))) or 0
