"""Tags: names, the rules for a thread's tags, the tag page and the staff-defined list.

A tag name is lower case, trimmed, its inner spaces and underscores made hyphens: letters a-z,
digits, and single hyphens or dots between them, at most NAME_MAX characters, at most MAX_PER_THREAD
on a thread. Members pick from the staff-defined list (Tag.is_official) unless an admin allows free
tags, which then make new (unofficial) rows. A tag is visible to a reader when it is on the list or
on a thread they may read, so its page answers 404 for names only hidden threads carry.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import partial
from typing import Optional

from flask import current_app
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from .. import policies
from ..errors import NotFound, ValidationFailed
from ..extensions import db
from ..models import SiteSetting, Tag, Thread, User, thread_tags
from ..services import audit
from ..services.forum import Page, paginate, visible_threads

NAME_MAX = 30
MAX_PER_THREAD = 5
SETTING_KEY = "tags"
_NAME = re.compile(r"[a-z0-9]+(?:[-.][a-z0-9]+)*")
_require_manager = partial(policies.ensure, policies.can_manage_tags, message="Only administrators can manage tags.")


class UnknownTag(NotFound):
    MESSAGE = "There is no such tag."

    def __init__(self) -> None:
        super().__init__(self.MESSAGE)


# --- names ------------------------------------------------------------------------------------


def normalize(raw: str) -> str:
    """'  Load Balancer ' -> 'load-balancer'. The result may still break the rules (check_name)."""
    return re.sub(r"[\s_]+", "-", (raw or "").strip().lower())


def name_problem(name: str) -> str | None:
    if not name:
        return "A tag can't be empty."
    if len(name) > NAME_MAX:
        return f"“{name[:NAME_MAX]}…” is too long: a tag has at most {NAME_MAX} characters."
    if not _NAME.fullmatch(name):
        return f"“{name}” can only use letters a-z, digits, and - or . between them."
    return None


def parse_names(raw: str | None) -> tuple[list[str], str | None]:
    """The distinct normalized names in a comma-separated input, and the first problem if any."""
    names: list[str] = []
    for part in (raw or "").split(","):
        name = normalize(part)
        if not name:
            continue
        problem = name_problem(name)
        if problem:
            return names, problem
        if name not in names:
            names.append(name)
    if len(names) > MAX_PER_THREAD:
        return names, f"A thread can have at most {MAX_PER_THREAD} tags; you gave {len(names)}."
    return names, None


# --- the admin's setting ----------------------------------------------------------------------


def free_tags_allowed() -> bool:
    row = db.session.get(SiteSetting, SETTING_KEY)
    return bool(row and isinstance(row.value, dict) and row.value.get("free_tags"))


def save_settings(actor: Optional[User], free_tags: bool) -> None:
    _require_manager(actor)
    row = db.session.get(SiteSetting, SETTING_KEY)
    before = free_tags_allowed()
    if row is None:
        db.session.add(SiteSetting(key=SETTING_KEY, value={"free_tags": free_tags}))
    else:
        row.value = {**(row.value if isinstance(row.value, dict) else {}), "free_tags": free_tags}
    audit.record(actor, "settings.tags", "setting", None, before={"free_tags": before}, after={"free_tags": free_tags})
    db.session.commit()


# --- a thread's tags --------------------------------------------------------------------------


def resolve(raw: str | None) -> tuple[list[Tag], str | None]:
    """The Tag rows a composer's input names (new free tags as unsaved rows: see stored), or the
    problem with it. Without free tags, every name must be on the staff-defined list."""
    names, problem = parse_names(raw)
    if problem or not names:
        return [], problem
    found = {tag.name: tag for tag in db.session.scalars(select(Tag).where(Tag.name.in_(names)))}
    free = free_tags_allowed()
    unknown = [name for name in names if name not in found or not (free or found[name].is_official)]
    if unknown and not free:
        return [], f"“{unknown[0]}” is not one of this community's tags. Choose from: {_official_list()}."
    return [found.get(name) or Tag(name=name) for name in names], None


def stored(tags: list[Tag]) -> list[Tag]:
    """The tags with the new (free) ones inserted; one another request inserted first is used instead.
    Call once the input is known to be valid."""
    rows = []
    for tag in tags:
        if tag.id is None:
            try:
                with db.session.begin_nested():
                    db.session.add(tag)
            except IntegrityError:
                tag = db.session.scalar(select(Tag).where(Tag.name == tag.name))
        rows.append(tag)
    return sorted(rows, key=lambda tag: tag.name)


def _official_list() -> str:
    names = [tag.name for tag in official_tags()]
    return ", ".join(names) if names else "none yet (staff add them)"


def set_thread_tags(thread: Thread, tags: list[Tag]) -> bool:
    """Give the thread exactly these tags; whether that changed anything."""
    if [tag.name for tag in thread.tags] == sorted(tag.name for tag in tags):
        return False
    thread.tags = stored(tags)
    return True


def tags_text(thread: Thread) -> str:
    """A thread's tags as the composer's input shows them."""
    return ", ".join(tag.name for tag in thread.tags)


@dataclass(frozen=True)
class ComposerChoices:
    """What the composer's tag field says: the list to pick from, and whether new names are taken."""

    official: list[str]
    free: bool
    max_per_thread: int = MAX_PER_THREAD


def composer_choices() -> ComposerChoices:
    return ComposerChoices([tag.name for tag in official_tags()], free_tags_allowed())


def official_tags() -> list[Tag]:
    return list(db.session.scalars(select(Tag).where(Tag.is_official.is_(True)).order_by(Tag.name)))


# --- reading ----------------------------------------------------------------------------------


def tagged(tag: Tag):
    """A condition on Thread: carries this tag (listings' ?tag= filter, the tag page, search)."""
    return Thread.id.in_(select(thread_tags.c.thread_id).where(thread_tags.c.tag_id == tag.id))


def tag_for_viewer(user: Optional[User], raw_name: str) -> Tag:
    """The tag of that name when this reader may know it exists; UnknownTag otherwise."""
    # The exact name first: the importer and older rows may hold names the rules would now change.
    tag = db.session.scalar(select(Tag).where(Tag.name == raw_name))
    tag = tag or db.session.scalar(select(Tag).where(Tag.name == normalize(raw_name)))
    if tag is None:
        raise UnknownTag()
    if not tag.is_official and not _on_a_readable_thread(user, tag):
        raise UnknownTag()
    return tag


def _on_a_readable_thread(user: Optional[User], tag: Tag) -> bool:
    query = visible_threads(user).where(tagged(tag)).with_only_columns(Thread.id).limit(1)
    return db.session.scalar(query) is not None


def tag_threads(user: Optional[User], tag: Tag, number: int) -> Page[Thread]:
    """The tag page: threads with the tag the reader may see (the listings' rules), newest activity first."""
    query = visible_threads(user).where(tagged(tag)).order_by(Thread.last_activity_at.desc(), Thread.id.desc())
    return paginate(query, number, current_app.config["THREADS_PER_PAGE"], skip_by=Thread.id)


def readable_tag_counts(user: Optional[User], thread_ids=None, limit: int = 20) -> list[tuple[str, int]]:
    """(name, threads) of the tags on threads this reader may see, most used first: for a facet
    (the search page's), optionally only over `thread_ids` (a list or a select of Thread.id)."""
    threads = visible_threads(user).with_only_columns(Thread.id)
    if thread_ids is not None:
        threads = threads.where(Thread.id.in_(thread_ids))
    count = func.count(thread_tags.c.thread_id)
    query = (
        select(Tag.name, count).join(thread_tags, thread_tags.c.tag_id == Tag.id)
        .where(thread_tags.c.thread_id.in_(threads.subquery().select()))
        .group_by(Tag.name).order_by(count.desc(), Tag.name).limit(limit)
    )
    return [(name, total) for name, total in db.session.execute(query)]


# --- the staff-defined list -------------------------------------------------------------------


def admin_tags(actor: Optional[User]) -> list[tuple[Tag, int]]:
    """Every tag with how many threads carry it: the list first, then free tags."""
    _require_manager(actor)
    used = select(func.count()).where(thread_tags.c.tag_id == Tag.id).scalar_subquery()
    rows = db.session.execute(select(Tag, used).order_by(Tag.is_official.desc(), Tag.name))
    return [(tag, count) for tag, count in rows]


def add_official(actor: Optional[User], raw_name: str) -> Tag:
    """Put a tag on the staff-defined list (a free tag of that name joins it)."""
    _require_manager(actor)
    name = normalize(raw_name)
    problem = name_problem(name)
    if problem:
        raise ValidationFailed(problem, fields={"name": problem})
    tag = db.session.scalar(select(Tag).where(Tag.name == name))
    if tag is not None and tag.is_official:
        raise ValidationFailed(f"“{name}” is on the list already.", fields={"name": f"“{name}” is on the list already."})
    tag = tag or Tag(name=name)
    tag.is_official = True
    db.session.add(tag)
    db.session.flush()
    audit.record(actor, "tag.add", "tag", tag.id, after={"name": name})
    db.session.commit()
    return tag


def delete_tag(actor: Optional[User], tag_id: int) -> str:
    """Delete a tag: every thread loses it, its watches go. Returns its name."""
    _require_manager(actor)
    tag = db.session.get(Tag, tag_id)
    if tag is None:
        raise UnknownTag()
    name = tag.name
    audit.record(actor, "tag.delete", "tag", tag.id, before={"name": name, "official": tag.is_official})
    db.session.execute(delete(thread_tags).where(thread_tags.c.tag_id == tag.id))
    db.session.delete(tag)
    db.session.commit()
    return name

