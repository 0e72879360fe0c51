"""Reading the forum: categories, thread listings, a thread's posts, permalinks.

Every query filters by what the viewer may read (policies.readable_visibilities plus the private
and deleted rules), so listings, counts and pages agree with policies.can_read_thread.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Generic, Optional, Sequence, TypeVar

from flask import current_app
from sqlalchemy import Select, and_, false, func, or_, select, true

from .. import policies
from ..errors import NotFound, PermissionDenied
from ..extensions import db
from ..models import Category, CategorySlug, Post, Thread, ThreadState, User, Visibility

Row = TypeVar("Row")

DENIED_MESSAGES = {
    Visibility.members: "Sign in to read this.",
    Visibility.customers: "This is only for verified customers.",
    Visibility.staff: "This is only for staff.",
}


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
    query: Select, number: int, per_page: int, *, count: bool = True, estimate: int | None = None, exact: bool = False
) -> Page:
    """One page of rows. With count=False the total is not counted (a full scan on big tables)
    but only known to go past this page when one more row exists: enough for a "more" link.
    `estimate` (a stored counter) then stands in for the total, so page links still reach the end;
    when it is `exact`, pages past it are refused without a query."""
    if not count:
        if number > MAX_PAGE or (exact and number > 1 and (number - 1) * per_page >= (estimate or 0)):
            raise NotFound("There is no such page.")
        rows = db.session.scalars(query.limit(per_page + 1).offset((number - 1) * per_page)).unique().all()
        if number > 1 and not rows:
            raise NotFound("There is no such page.")
        seen = (number - 1) * per_page + len(rows)
        return Page(rows[:per_page], number, per_page, max(seen, estimate or 0))
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    if number > 1 and (number - 1) * per_page >= total:
        raise NotFound("There is no such page.")
    items = db.session.scalars(query.limit(per_page).offset((number - 1) * per_page)).unique().all()
    return Page(items, number, per_page, total)


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
    if category is None or (category.deleted_at is not None and not policies.is_staff(user)):
        raise NotFound("There is no such category.")
    require_category_access(user, category)
    return category, renamed


def require_category_access(user: Optional[User], category: Category) -> None:
    if not policies.can_read_category(user, category):
        raise PermissionDenied(DENIED_MESSAGES.get(category.visibility, "You may not read this."))


# --- thread listings --------------------------------------------------------------------------

# ?state= on listings. Unanswered: nobody but the asker replied; solved includes solved threads
# that have since closed.
STATE_FILTERS = {
    "unanswered": lambda: Thread.first_reply_at.is_(None) & (Thread.state == ThreadState.open),
    "unsolved": lambda: Thread.state.in_((ThreadState.open, ThreadState.answered)),
    "solved": lambda: (Thread.state == ThreadState.solved)
    | ((Thread.state == ThreadState.closed) & Thread.solved_at.is_not(None)),
}


def visible_threads(user: Optional[User]) -> Select:
    """Threads the viewer may see in listings: readable category, not deleted, private only if theirs."""
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
        own = Thread.author_id == user.id if user is not None else false()
        shown_to_all = and_(Thread.is_private.is_(False), Thread.is_pending.is_(False))
        query = query.where(or_(shown_to_all, own))
    return query


def list_threads(
    user: Optional[User],
    *,
    category: Category | None = None,
    unanswered: bool = False,
    state: str | None = None,
    page: int = 1,
    per_page: int | None = None,
    count: bool = True,
) -> Page[Thread]:
    query = visible_threads(user)
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
    if count and not unanswered and state not in STATE_FILTERS:
        # Counting every visible thread is a scan of the listing (45-80 ms at 100k threads);
        # the categories' stored counters give the page links instead.
        estimate = _listing_estimate(user, category)
        return paginate(query.order_by(*order), page, per_page, count=False, estimate=estimate, exact=user is None)
    return paginate(query.order_by(*order), page, per_page, count=count)


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
    """The thread, or NotFound when it is missing or hidden (deleted, someone else's private),
    or PermissionDenied when its category is closed to the viewer."""
    thread = db.session.get(Thread, thread_id)
    if thread is None:
        raise NotFound("There is no such thread.")
    require_category_access(user, thread.category)
    if not policies.can_read_thread(user, thread):
        raise NotFound("There is no such thread.")
    return thread


def thread_posts(user: Optional[User], thread: Thread, page: int) -> Page[Post]:
    """A page of the thread's posts in order; deleted ones stay (the template shows a placeholder)."""
    query = select(Post).where(Post.thread_id == thread.id, _post_shown_to(user)).order_by(Post.position)
    return paginate(query, page, current_app.config["POSTS_PER_PAGE"])


def _post_shown_to(user: Optional[User]):
    """Posts held for review are left out entirely (no placeholder) for all but the author and staff."""
    if policies.is_staff(user):
        return true()
    own = Post.author_id == user.id if user is not None else false()
    return or_(Post.is_pending.is_(False), own)


def merged_into(thread_id: int) -> Thread | None:
    """The thread a merged thread now lives in, so its old URL can redirect there."""
    thread = db.session.get(Thread, thread_id)
    if thread is None or thread.merged_into_id is None:
        return None
    return db.session.get(Thread, thread.merged_into_id)


def post_for_viewer(user: Optional[User], post_id: int) -> Post:
    post = db.session.get(Post, post_id)
    if post is None:
        raise NotFound("There is no such post.")
    thread_for_viewer(user, post.thread_id)
    if post.is_pending and not policies.can_read_post(user, post):
        raise NotFound("There is no such post.")
    return post


def post_location(user: Optional[User], post_id: int) -> tuple[Thread, int]:
    """The thread a post is in and the page that shows it, for /p/<id> permalinks."""
    post = post_for_viewer(user, post_id)
    earlier = db.session.scalar(
        select(func.count()).where(Post.thread_id == post.thread_id, Post.position < post.position, _post_shown_to(user))
    )
    return post.thread, earlier // current_app.config["POSTS_PER_PAGE"] + 1
