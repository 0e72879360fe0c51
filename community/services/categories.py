"""Admin management of categories: create, edit, reorder, soft delete, restore.

Old slugs live on as CategorySlug rows so links keep working (the forum view redirects). A slug is
unique across current and old slugs; taking over an old slug removes its redirect.
"""
from __future__ import annotations

from functools import partial

import re
import unicodedata
from dataclasses import dataclass
from typing import Optional

from sqlalchemy import delete, func, select, update

from .. import policies
from ..errors import NotFound, ValidationFailed
from ..extensions import db
from ..models import Category, CategorySlug, Post, Thread, User, Visibility, utcnow
from . import audit

SLUG_RE = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
NAME_MAX = 80
SLUG_MAX = 80
DESCRIPTION_MAX = 500


@dataclass
class CategoryInput:
    """What the admin typed. Strings as given; `position` may be blank."""

    name: str = ""
    slug: str = ""
    description: str = ""
    visibility: str = Visibility.public.value
    position: str = ""


def slugify(text: str, max_length: int = SLUG_MAX) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:max_length].strip("-")


_require_admin = partial(policies.ensure, policies.can_manage_site, message="Only administrators can manage categories.")


def _get(category_id: int) -> Category:
    category = db.session.get(Category, category_id)
    if category is None:
        raise NotFound("There is no such category.")
    return category


def ordered_categories(include_deleted: bool = False) -> list[Category]:
    query = select(Category).order_by(Category.position, Category.id)
    if not include_deleted:
        query = query.where(Category.deleted_at.is_(None))
    return list(db.session.scalars(query))


def admin_categories(actor: Optional[User]) -> tuple[list[Category], list[Category]]:
    """(live categories in order, soft-deleted ones) for the admin list."""
    _require_admin(actor)
    everything = ordered_categories(include_deleted=True)
    return [c for c in everything if c.deleted_at is None], [c for c in everything if c.deleted_at is not None]


def category_for_admin(actor: Optional[User], category_id: int) -> Category:
    _require_admin(actor)
    return _get(category_id)


# --- create and edit ------------------------------------------------------------------------------


def create_category(actor: Optional[User], data: CategoryInput) -> Category:
    _require_admin(actor)
    clean = _validate(data, category=None)
    category = Category(
        name=clean.name, slug=clean.slug, description=clean.description,
        visibility=Visibility(clean.visibility), position=0,
    )
    _release_old_slug(clean.slug)
    db.session.add(category)
    db.session.flush()
    _place(category, _wanted_index(clean.position))
    audit.record(actor, "category.create", "category", category.id, after=_audited(category))
    db.session.commit()
    return category


def update_category(actor: Optional[User], category_id: int, data: CategoryInput) -> Category:
    _require_admin(actor)
    category = _get(category_id)
    clean = _validate(data, category=category)
    before = _audited(category)
    if clean.slug != category.slug:
        _release_old_slug(clean.slug)
        db.session.add(CategorySlug(slug=category.slug, category_id=category.id))
        category.slug = clean.slug
    category.name = clean.name
    category.description = clean.description
    category.visibility = Visibility(clean.visibility)
    if clean.position:
        _place(category, _wanted_index(clean.position))
    audit.record(actor, "category.update", "category", category.id, before=before, after=_audited(category))
    db.session.commit()
    return category


def _audited(category: Category) -> dict:
    """What the audit log keeps of a category before and after a change."""
    return {
        "name": category.name, "slug": category.slug, "description": category.description,
        "visibility": category.visibility.value, "position": category.position,
    }


def _validate(data: CategoryInput, category: Optional[Category]) -> CategoryInput:
    errors: dict[str, str] = {}
    name = data.name.strip()
    slug = data.slug.strip().lower() or slugify(name)
    description = data.description.strip()
    position = data.position.strip()
    if not name:
        errors["name"] = "Give the category a name."
    elif len(name) > NAME_MAX:
        errors["name"] = f"Keep the name under {NAME_MAX} characters."
    if len(slug) > SLUG_MAX or not SLUG_RE.fullmatch(slug or "-"):
        errors["slug"] = "Use lower-case letters, digits and single dashes, like billing-help."
    elif _slug_taken(slug, category):
        errors["slug"] = f"The slug “{slug}” is already used by another category."
    if len(description) > DESCRIPTION_MAX:
        errors["description"] = f"Keep the description under {DESCRIPTION_MAX} characters."
    if data.visibility not in {v.value for v in Visibility}:
        errors["visibility"] = "Choose who can read this category."
    if position and (not position.isdigit() or int(position) < 1):
        errors["position"] = "Use a whole number from 1 (first)."
    if errors:
        raise ValidationFailed("Please correct the marked fields.", fields=errors)
    return CategoryInput(name, slug, description, data.visibility, position)


def _slug_taken(slug: str, category: Optional[Category]) -> bool:
    # Deleted categories keep their slug (they can be restored), so it stays taken.
    owner = db.session.scalar(select(Category.id).where(Category.slug == slug))
    return owner is not None and (category is None or owner != category.id)


def _release_old_slug(slug: str) -> None:
    """Taking a slug that used to redirect somewhere: the new owner wins, the redirect goes."""
    db.session.execute(delete(CategorySlug).where(CategorySlug.slug == slug))


# --- order ---------------------------------------------------------------------------------------


def move_category(actor: Optional[User], category_id: int, direction: str) -> Category:
    _require_admin(actor)
    category = _get(category_id)
    siblings = ordered_categories()
    if category not in siblings or direction not in {"up", "down"}:
        raise ValidationFailed("That category cannot be moved.")
    index = siblings.index(category) + (-1 if direction == "up" else 1)
    before = category.position
    _place(category, max(0, min(index, len(siblings) - 1)))
    audit.record(actor, "category.move", "category", category.id, before={"position": before}, after={"position": category.position})
    db.session.commit()
    return category


def _wanted_index(position: str) -> int | None:
    return int(position) - 1 if position else None


def _place(category: Category, index: int | None) -> None:
    """Put `category` at `index` (None: last) among live categories, renumbering 1..n."""
    others = [c for c in ordered_categories() if c.id != category.id]
    if category.deleted_at is None:
        others.insert(len(others) if index is None else min(index, len(others)), category)
    for number, each in enumerate(others, start=1):
        each.position = number


# --- delete and restore ----------------------------------------------------------------------------


def delete_category(actor: Optional[User], category_id: int) -> Category:
    """Soft delete: the category and its threads disappear for everyone but staff, and can return."""
    _require_admin(actor)
    category = _get(category_id)
    if category.deleted_at is None:
        category.deleted_at = utcnow()
        db.session.flush()
        _place(category, None)
        audit.record(actor, "category.delete", "category", category.id, before={"deleted": False}, after={"deleted": True})
        db.session.commit()
    return category


def restore_category(actor: Optional[User], category_id: int) -> Category:
    _require_admin(actor)
    category = _get(category_id)
    if category.deleted_at is not None:
        category.deleted_at = None
        db.session.flush()
        _place(category, None)
        audit.record(actor, "category.restore", "category", category.id, before={"deleted": True}, after={"deleted": False})
        db.session.commit()
    return category


# --- counters (used by bulk writers: the importer and the demo seed) -----------------------------


def recount_categories(category_ids: set[int]) -> None:
    """Set thread_count and post_count from the rows (non-deleted threads and posts)."""
    for category_id in category_ids:
        live_threads = select(Thread.id).where(Thread.category_id == category_id, Thread.deleted_at.is_(None))
        threads = db.session.scalar(select(func.count()).select_from(live_threads.subquery()))
        posts = db.session.scalar(
            select(func.count(Post.id)).where(Post.thread_id.in_(live_threads), Post.deleted_at.is_(None))
        )
        db.session.execute(
            update(Category).where(Category.id == category_id).values(thread_count=threads, post_count=posts)
        )


def recount_threads(thread_ids: set[int]) -> None:
    """Set reply_count, last_post_id, last_activity_at and first_reply_at from the live posts."""
    for thread_id in thread_ids:
        live = select(Post).where(Post.thread_id == thread_id, Post.deleted_at.is_(None))
        replies = live.where(Post.position > 1).subquery()
        asker_id = db.session.scalar(select(Thread.author_id).where(Thread.id == thread_id))
        # The first reply is the first by someone other than the asker (the asker's bumps don't count).
        reply_count, first_reply_at = db.session.execute(
            select(func.count(replies.c.id), func.min(replies.c.created_at).filter(replies.c.author_id != asker_id))
        ).one()
        last = db.session.execute(
            select(Post.id, Post.created_at)
            .where(Post.thread_id == thread_id, Post.deleted_at.is_(None))
            .order_by(Post.created_at.desc(), Post.position.desc())
            .limit(1)
        ).first()
        # Set once: a later recount (after deletes) keeps the response time already recorded.
        values = {"reply_count": reply_count, "first_reply_at": func.coalesce(Thread.first_reply_at, first_reply_at)}
        if last is not None:
            values.update(last_post_id=last.id, last_activity_at=last.created_at)
        db.session.execute(update(Thread).where(Thread.id == thread_id).values(**values))
