"""Reading the forum: categories, thread listings, a thread's posts, permalinks.

Every query filters by what the viewer may read (policies.readable_visibilities plus the private
and deleted rules), so listings, counts and pages agree with policies.can_read_thread.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, Optional, Sequence, TypeVar

from flask import current_app
from sqlalchemy import Select, and_, false, func, or_, select, true
from sqlalchemy.orm import joinedload, lazyload

from .. import policies
from ..errors import NotFound
from ..extensions import db
from ..models import Category, CategorySlug, Post, Thread, ThreadState, User

Row = TypeVar("Row")


class Unreadable(NotFound):
    """A category, thread or post that does not exist, or that the viewer may not read (a gated
    category, someone else's private thread, a deleted one): one error, one message, for every
    such case, so the answer never tells which ids and slugs exist where the viewer may not look
    (issue 22, item 3). The edges render it per viewer only (web/errors.py, the API's 404)."""

    MESSAGE = "There is nothing here you can open."

    def __init__(self) -> None:
        super().__init__(self.MESSAGE)


@dataclass(frozen=True)
class Page(Generic[Row]):
    items: Sequence[Row]
    number: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages

    @property
    def links(self) -> list[int | None]:
        """The page numbers a pager shows: the first two, the last two and two either side of
        this one, with None for a gap after 2 or before the last two. Computed from those few
        numbers, not by walking every page (669 of them in a category of 20,000 threads)."""
        last, number = self.pages, self.number
        candidates = {1, 2, 3, last - 2, last - 1, last, *range(number - 2, number + 3)}
        shown: list[int | None] = []
        for n in sorted(n for n in candidates if 1 <= n <= last):
            if n <= 2 or n > last - 2 or abs(n - number) <= 2:
                shown.append(n)
            elif n in (3, last - 2):
                shown.append(None)
        return shown


def page_number(raw: object) -> int:
    """?page=abc, ?page=-3 and a missing page all mean the first page."""
    try:
        number = int(str(raw))
    except (TypeError, ValueError):
        return 1
    return number if number >= 1 else 1


# Deeper pages than this are refused before any query: OFFSET must stay a sane integer.
MAX_PAGE = 1_000_000


def paginate(
    query: Select, number: int, per_page: int, *, count: bool = True, estimate: int | None = None, exact: bool = False,
    skip_by=None,
) -> Page:
    """One page of rows. With count=False the total is not counted (a full scan on big tables)
    but only known to go past this page when one more row exists: enough for a "more" link.
    `estimate` (a stored counter) then stands in for the total, so page links still reach the end;
    when it is `exact`, pages past it are refused without a query. `skip_by` (the primary key
    column): see _page_rows."""
    if not count:
        if number > MAX_PAGE or (exact and number > 1 and (number - 1) * per_page >= (estimate or 0)):
            raise NotFound("There is no such page.")
        rows = _page_rows(query, per_page + 1, (number - 1) * per_page, skip_by)
        if number > 1 and not rows:
            raise NotFound("There is no such page.")
        seen = (number - 1) * per_page + len(rows)
        return Page(rows[:per_page], number, per_page, max(seen, estimate or 0))
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    if number > 1 and (number - 1) * per_page >= total:
        raise NotFound("There is no such page.")
    items = _page_rows(query, per_page, (number - 1) * per_page, skip_by)
    return Page(items, number, per_page, total)


def _page_rows(query: Select, limit: int, offset: int, skip_by=None) -> list:
    """With `skip_by`, the rows before the page are skipped by key alone (an index walk), and only
    the page's rows are then loaded with their joined authors and categories: OFFSET over the
    full query would join every skipped row (15,000 of them on page 500 of a category)."""
    if skip_by is None or offset == 0:
        return db.session.scalars(query.limit(limit).offset(offset)).unique().all()
    keys = query.with_only_columns(skip_by).limit(limit).offset(offset).subquery()
    return db.session.scalars(query.join(keys, skip_by == keys.c[0])).unique().all()


# --- categories -------------------------------------------------------------------------------


def readable_categories(user: Optional[User]) -> list[Category]:
    query = (
        select(Category)
        .where(Category.deleted_at.is_(None), Category.visibility.in_(policies.readable_visibilities(user)))
        .order_by(Category.position, Category.name)
    )
    return list(db.session.scalars(query))


def postable_categories(user: Optional[User]) -> list[Category]:
    return [category for category in readable_categories(user) if policies.can_start_thread(user, category)]


def category_for_viewer(user: Optional[User], slug: str) -> tuple[Category, bool]:
    """The category at `slug` and whether `slug` is an old one (the caller redirects)."""
    category = db.session.scalar(select(Category).where(Category.slug == slug))
    renamed = False
    if category is None:
        old = db.session.get(CategorySlug, slug)
        category = db.session.get(Category, old.category_id) if old else None
        renamed = category is not None
    if category is None:
        raise Unreadable()
    require_category_access(user, category)
    return category, renamed


def require_category_access(user: Optional[User], category: Category) -> None:
    """Unreadable unless the viewer may read the category (a deleted one: staff only)."""
    if not policies.can_read_category(user, category):
        raise Unreadable()


# --- thread listings --------------------------------------------------------------------------

# ?state= on listings. Unanswered: nobody but the asker replied; solved includes solved threads
# that have since closed.
STATE_FILTERS = {
    "unanswered": lambda: Thread.first_reply_at.is_(None) & (Thread.state == ThreadState.open),
    "unsolved": lambda: Thread.state.in_((ThreadState.open, ThreadState.answered)),
    "solved": lambda: (Thread.state == ThreadState.solved)
    | ((Thread.state == ThreadState.closed) & Thread.solved_at.is_not(None)),
}


def visible_threads(user: Optional[User], *, own: bool = True) -> Select:
    """Threads the viewer may see in listings: readable category, not deleted, private only if theirs.
    With own=False, only what everyone of the viewer's audience sees (their own private or held
    threads left out): the part of a listing that can be rendered once and shared."""
    query = (
        select(Thread)
        .join(Thread.category)
        .where(
            Thread.deleted_at.is_(None),
            Category.deleted_at.is_(None),
            Category.visibility.in_(policies.readable_visibilities(user)),
        )
    )
    if not policies.is_staff(user):
        # Spelled "= false" as ix_threads_public_listing's condition is, so deep pages walk that index.
        shown_to_all = and_(Thread.is_private == false(), Thread.is_pending == false())
        mine = Thread.author_id == user.id if user is not None and own else false()
        query = query.where(or_(shown_to_all, mine))
    return query


def listing_audience(user: Optional[User]) -> str:
    """Readers with the same audience see the same listings (visible_threads with own=False):
    what they may read is decided by their readable visibilities and whether they are staff only."""
    names = ",".join(sorted(visibility.value for visibility in policies.readable_visibilities(user)))
    return f"{names}|{'staff' if policies.is_staff(user) else 'readers'}"


def has_own_hidden_thread(user: Optional[User], since: datetime | None, category: Category | None = None) -> bool:
    """Whether a listing's shared part would miss one of the viewer's own private or held threads:
    one active at or after `since` (the oldest activity the shared part shows; None: any), or in a
    category listing, a pinned one (pinned threads come first there). Staff see every thread in
    the shared part already."""
    if user is None or policies.is_staff(user):
        return False
    query = select(Thread.id).where(*_own_hidden(user.id))
    if category is not None:
        query = query.where(Thread.category_id == category.id)
    if since is not None:
        newer = Thread.last_activity_at >= since
        query = query.where(or_(newer, Thread.is_pinned) if category is not None else newer)
    return db.session.scalar(query.limit(1)) is not None


def own_hidden_activity_column(user_id):
    """The latest activity among the user's own private or held threads (NULL: none), as a
    column to select with the user row (web/reader.py)."""
    return select(func.max(Thread.last_activity_at)).where(*_own_hidden(user_id)).scalar_subquery()


def _own_hidden(user_id) -> tuple:
    return Thread.author_id == user_id, Thread.deleted_at.is_(None), or_(Thread.is_private, Thread.is_pending)


def list_threads(
    user: Optional[User],
    *,
    category: Category | None = None,
    unanswered: bool = False,
    state: str | None = None,
    page: int = 1,
    per_page: int | None = None,
    count: bool = True,
    own: bool = True,
    where: tuple = (),
) -> Page[Thread]:
    """`where`: more conditions on Thread (a tag filter, a reader's muted categories and tags);
    with any, the total is counted, since the stored counters no longer hold it."""
    query = visible_threads(user, own=own).where(*where)
    if category is not None:
        query = query.where(Thread.category_id == category.id)
        order = (Thread.is_pinned.desc(), Thread.last_activity_at.desc(), Thread.id.desc())
    else:
        order = (Thread.last_activity_at.desc(), Thread.id.desc())
    if unanswered:
        query = query.where(Thread.reply_count == 0)
    if state in STATE_FILTERS:
        query = query.where(STATE_FILTERS[state]())
    per_page = per_page or current_app.config["THREADS_PER_PAGE"]
    if count and not unanswered and state not in STATE_FILTERS and not where:
        # Counting every visible thread is a scan of the listing (45-80 ms at 100k threads);
        # the categories' stored counters give the page links instead.
        estimate = _listing_estimate(user, category)
        return paginate(
            query.order_by(*order), page, per_page, count=False, estimate=estimate, exact=user is None, skip_by=Thread.id
        )
    return paginate(query.order_by(*order), page, per_page, count=count, skip_by=Thread.id)


def _listing_estimate(user: Optional[User], category: Category | None) -> int:
    """How many threads a listing holds, from Category.thread_count (public, live threads).

    Exact for anonymous readers. Signed-in readers may also see their own private or held
    threads and staff everyone's, which the counters leave out, so for them a page past the
    estimate is still tried (and has_next comes from the rows themselves)."""
    if category is not None:
        return category.thread_count
    return db.session.scalar(
        select(func.coalesce(func.sum(Category.thread_count), 0)).where(
            Category.deleted_at.is_(None), Category.visibility.in_(policies.readable_visibilities(user))
        )
    )


# --- one thread -------------------------------------------------------------------------------


def thread_for_viewer(user: Optional[User], thread_id: int) -> Thread:
    """The thread, or Unreadable when it is missing, hidden from the viewer (deleted, someone
    else's private or held one) or in a category closed to them: the same answer for all."""
    thread = db.session.get(Thread, thread_id)
    if thread is None or not policies.can_read_thread(user, thread):
        raise Unreadable()
    return thread


def thread_posts(user: Optional[User], thread: Thread, page: int) -> Page[Post]:
    """A page of the thread's posts in order; deleted ones stay (the template shows a placeholder)."""
    # Every post's thread is `thread`, already in the session: a lazy load finds it there, where
    # the default joined load would join it (with its category and author) to every post row.
    query = (
        select(Post).options(lazyload(Post.thread))
        .where(Post.thread_id == thread.id, post_shown_to(user)).order_by(Post.position)
    )
    return paginate(query, page, current_app.config["POSTS_PER_PAGE"], skip_by=Post.id)


def post_shown_to(user: Optional[User]):
    """Posts held for review are left out entirely (no placeholder) for all but the author and staff."""
    if policies.is_staff(user):
        return true()
    own = Post.author_id == user.id if user is not None else false()
    return or_(Post.is_pending.is_(False), own)


def thread_or_merge_target(user: Optional[User], thread_id: int) -> tuple[Thread, bool]:
    """The thread for its page, or the thread it was merged into and True (its old URL redirects
    there). The redirect is only for a viewer who may read the old thread's category and the
    target: to anyone else the old URL answers as a missing thread does, so it tells neither that
    the old id exists nor where it went. One load of the thread: the session keeps it only while
    something refers to it. Its tags (the chips under the title) come joined to the same row."""
    thread = db.session.get(Thread, thread_id, options=[joinedload(Thread.tags)])
    if thread is not None and thread.merged_into_id is not None:
        target = db.session.get(Thread, thread.merged_into_id)
        if target is not None:
            if not policies.can_read_category(user, thread.category):
                raise Unreadable()
            return thread_for_viewer(user, target.id), True
    return thread_for_viewer(user, thread_id), False


def post_for_viewer(user: Optional[User], post_id: int) -> Post:
    """The post (deleted and hidden ones too: their thread shows a placeholder), or Unreadable
    when it is missing, held for review (to all but its author and staff) or its thread is
    unreadable to the viewer."""
    post = db.session.get(Post, post_id)
    if post is None:
        raise Unreadable()
    thread_for_viewer(user, post.thread_id)
    if post.is_pending and not policies.can_read_post(user, post):
        raise Unreadable()
    return post


def post_location(user: Optional[User], post_id: int) -> tuple[Thread, int]:
    """The thread a post is in and the page that shows it, for /p/<id> permalinks."""
    post = post_for_viewer(user, post_id)
    earlier = db.session.scalar(
        select(func.count()).where(Post.thread_id == post.thread_id, Post.position < post.position, post_shown_to(user))
    )
    return post.thread, earlier // current_app.config["POSTS_PER_PAGE"] + 1
