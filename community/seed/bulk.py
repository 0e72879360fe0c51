"""Bulk seeding for benchmarks: a million posts in minutes, on PostgreSQL (COPY) and SQLite.

The ORM would take hours for a million rows, so this writes rows straight through the driver:
PostgreSQL gets `COPY ... FROM STDIN` (psycopg 3 `cursor.copy`), SQLite gets `executemany` in one
large transaction with PRAGMAs tuned for a bulk load (synchronous off, a big page cache; WAL stays,
since the app's other connections may hold the file open). Every counter the pages rely on (reply
counts, last activity, last post, first reply, category totals, post positions) is computed while
the rows are generated, so the seeded world is consistent without a recount pass.

Speed-ups that keep the data honest:
- Markdown is rendered once per distinct body template (a few hundred), not per post; every
  body_html is real sanitized output of `render_markdown` for its body_markdown.
- One argon2 hash is shared by every bench user: hashing 50,000 passwords with production argon2
  parameters would take longer than the rest of the seed together, and a bench database holds no
  real accounts. All bench users therefore sign in with BENCH_PASSWORD.
- Ids are assigned here (users after the current maximum; the forum tables start empty), so no
  round trip is needed to learn them; PostgreSQL sequences are moved past them afterwards.

The search index is not fed: indexing a million posts is its own benchmark.
"""
from __future__ import annotations

import enum
import itertools
import random
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Callable, Iterable, Iterator

from sqlalchemy import Table, func, select
from sqlalchemy.engine import Engine

from ..content.markdown import render_markdown
from ..errors import Conflict, ValidationFailed
from ..models import AcceptedAnswer, Category, Post, Role, Thread, User, Visibility
from . import bulk_text as text
from ..services.passwords import hash_password

BENCH_PASSWORD = "bench-password-not-secret"
LONG_THREAD_POSTS = 1000
TWENTY_POST_THREADS = 10
BODY_TEMPLATES = 400
HISTORY = timedelta(days=730)
SQLITE_BATCH = 20_000
# Categories that are not public; the rest (most) are.
RESTRICTED = {
    "Staff lounge": Visibility.staff,
    "Beta program": Visibility.customers,
    "Partners": Visibility.members,
    "Self-hosting": Visibility.members,
}
# The first category carries a fifth of all threads, so deep listing pages (page 500) exist.
BUSIEST_SHARE = 0.2


@dataclass(frozen=True)
class SeedSize:
    posts: int
    threads: int
    categories: int
    users: int
    random_seed: int = 1


@dataclass
class SeedReport:
    size: SeedSize
    backend: str
    seconds: float = 0.0
    phases: dict[str, float] = field(default_factory=dict)
    long_thread_id: int | None = None
    twenty_post_thread_ids: list[int] = field(default_factory=list)
    busiest_category_slug: str = ""
    busiest_category_threads: int = 0
    first_user_id: int = 0

    def summary(self) -> str:
        phases = ", ".join(f"{name} {secs:.1f}s" for name, secs in self.phases.items())
        s = self.size
        return (
            f"seeded {s.posts:,} posts in {s.threads:,} threads, {s.categories} categories, "
            f"{s.users:,} users on {self.backend} in {self.seconds:.1f}s ({phases})"
        )


@dataclass
class _ThreadPlan:
    """What the thread pass decides and the post pass repeats: times are a function of these."""

    id: int
    category_index: int
    author_id: int
    created: datetime
    window: timedelta
    posts: int
    first_post_id: int

    def post_time(self, position: int) -> datetime:
        if self.posts == 1:
            return self.created
        return self.created + self.window * ((position - 1) / (self.posts - 1))


def bulk_seed(engine: Engine, size: SeedSize) -> SeedReport:
    """Seed users, categories, threads and posts into an empty forum. Commits once at the end."""
    _validate(size)
    report = SeedReport(size=size, backend=engine.dialect.name)
    started = time.perf_counter()
    with _phase(report, "plan"):
        world = _World(engine, size)
    connection = engine.raw_connection()
    try:
        loader = _PostgresLoader(connection) if report.backend == "postgresql" else _SqliteLoader(connection)
        with _phase(report, "load"):
            loader.begin()
            loader.write(User.__table__, world.user_rows(loader.timestamp))
            loader.write(Category.__table__, world.category_rows(loader.timestamp))
            loader.write(Thread.__table__, world.thread_rows(loader.timestamp))
            loader.write(Post.__table__, world.post_rows(loader.timestamp))
            loader.write(AcceptedAnswer.__table__, world.accepted_rows(loader.timestamp))
            loader.commit()
        with _phase(report, "analyze"):
            loader.finish()
    finally:
        connection.invalidate()  # the bulk PRAGMAs/settings must not go back into the pool
    world.describe(report)
    report.seconds = time.perf_counter() - started
    return report


def _validate(size: SeedSize) -> None:
    fields = {}
    for name in ("threads", "categories", "users"):
        if getattr(size, name) < 1:
            fields[name] = "Must be at least 1."
    if size.posts < size.threads:
        fields["posts"] = "Every thread needs its opening post: posts must be at least threads."
    if fields:
        raise ValidationFailed("Bad seed size.", fields=fields)


class _phase:
    def __init__(self, report: SeedReport, name: str) -> None:
        self.report, self.name = report, name

    def __enter__(self) -> None:
        self.started = time.perf_counter()

    def __exit__(self, *_exc) -> None:
        self.report.phases[self.name] = time.perf_counter() - self.started


# --- the world: every row, generated deterministically from the seed ----------------------------


class _World:
    def __init__(self, engine: Engine, size: SeedSize) -> None:
        self.size = size
        self.rng = random.Random(size.random_seed)
        self.now = datetime.now(timezone.utc).replace(tzinfo=None)
        with engine.connect() as connection:
            if connection.scalar(select(func.count()).select_from(Thread.__table__)) or connection.scalar(
                select(func.count()).select_from(Category.__table__)
            ):
                raise Conflict("Bulk seeding needs an empty forum (no categories or threads yet).")
            # Users may exist already (an admin); the forum tables are empty, so their ids start at 1.
            self.user_base = connection.scalar(select(func.max(User.id))) or 0
        self.password_hash = hash_password(BENCH_PASSWORD)
        self.bodies = self._render_bodies()
        self.categories = self._category_specs()
        self.threads = self._thread_plans()
        self.solved: list[_ThreadPlan] = []  # filled by thread_rows

    # users

    def user_rows(self, stamp: Callable) -> Iterator[dict]:
        rng, now = self.rng, stamp(self.now)
        for n in range(1, self.size.users + 1):
            user_id = self.user_base + n
            first, last = text.person(rng)
            email = f"{first.lower()}.{last.lower()}.{user_id}@bench.example"
            yield {
                "id": user_id, "email": email, "email_normalized": email,
                "username": f"{first.lower()}_{last.lower()}_{user_id}"[:40],
                "display_name": f"{first} {last}", "password_hash": self.password_hash,
                "role": _role_for(n).name, "is_verified_customer": n % 5 == 0,
                "email_verified_at": now, "created_at": now, "session_version": 1,
                "is_banned": False, "bio": "",
            }

    # categories

    def _category_specs(self) -> list[tuple[str, str, str, Visibility]]:
        specs = []
        for index in range(self.size.categories):
            name, description = text.CATEGORIES[index % len(text.CATEGORIES)]
            if index >= len(text.CATEGORIES):
                name = f"{name} {index // len(text.CATEGORIES) + 1}"
            specs.append((name, text.slugify(name), description, RESTRICTED.get(name, Visibility.public)))
        return specs

    def category_rows(self, stamp: Callable) -> Iterator[dict]:
        threads = [0] * len(self.categories)
        posts = [0] * len(self.categories)
        for plan in self.threads:
            threads[plan.category_index] += 1
            posts[plan.category_index] += plan.posts
        for index, (name, slug, description, visibility) in enumerate(self.categories):
            yield {
                "id": index + 1, "name": name, "slug": slug,
                "description": description, "position": index, "visibility": visibility.name,
                "thread_count": threads[index], "post_count": posts[index],
                "created_at": stamp(self.now - HISTORY),
            }

    # threads

    def _thread_plans(self) -> list[_ThreadPlan]:
        counts = self._posts_per_thread()
        categories = self._thread_categories()
        rng, total = self.rng, self.size.threads
        plans, next_post_id = [], 1
        for index, posts in enumerate(counts):
            created = self.now - HISTORY + HISTORY * (index / total) + timedelta(seconds=rng.randint(0, 3600))
            created = min(created, self.now)
            window = (self.now - created) * rng.uniform(0.02, 0.6)
            plans.append(_ThreadPlan(
                id=index + 1, category_index=categories[index], author_id=self._random_user(),
                created=created, window=window, posts=posts, first_post_id=next_post_id,
            ))
            next_post_id += posts
        return plans

    def _posts_per_thread(self) -> list[int]:
        """One opening post each; thread 1 gets 1,000 posts, a few get exactly 20, the rest share."""
        size = self.size
        counts = [1] * size.threads
        spare = size.posts - size.threads
        counts[0] += min(LONG_THREAD_POSTS - 1, spare)
        spare -= counts[0] - 1
        self.twenty_post_indexes = []
        for index in range(1, min(1 + TWENTY_POST_THREADS, size.threads)):
            if spare < 19:
                break
            counts[index] = 20
            spare -= 19
            self.twenty_post_indexes.append(index)
        ordinary = list(range(1 + len(self.twenty_post_indexes), size.threads)) or [0]
        for index in self.rng.choices(ordinary, k=spare):
            counts[index] += 1
        return counts

    def _thread_categories(self) -> list[int]:
        count = self.size.categories
        rest = (1 - BUSIEST_SHARE) / (count - 1) if count > 1 else 0.0
        weights = [BUSIEST_SHARE if count > 1 else 1.0] + [rest] * (count - 1)
        chosen = self.rng.choices(range(count), weights=weights, k=self.size.threads)
        # The special threads live in the busiest (public) category, where benchmarks look for them.
        for index in [0, *self.twenty_post_indexes]:
            chosen[index] = 0
        return chosen

    def thread_rows(self, stamp: Callable) -> Iterator[dict]:
        rng = self.rng
        for plan in self.threads:
            title = text.title(rng)
            last = plan.post_time(plan.posts)
            has_replies = plan.posts > 1
            state = _thread_state(has_replies, rng)
            if state == "solved":
                self.solved.append(plan)
            yield {
                "id": plan.id, "category_id": plan.category_index + 1,
                "author_id": plan.author_id, "title": title, "slug": text.slugify(title)[:120],
                "state": state, "solved_at": stamp(last) if state == "solved" else None, "is_private": False, "is_locked": False,
                "is_pinned": False, "reply_count": plan.posts - 1, "view_count": plan.posts * 7,
                "last_activity_at": stamp(last), "last_post_id": plan.first_post_id + plan.posts - 1,
                "first_reply_at": stamp(plan.post_time(2)) if has_replies else None,
                "created_at": stamp(plan.created),
            }

    def accepted_rows(self, stamp: Callable) -> Iterator[dict]:
        """Solved means a marked answer: each solved thread's first reply, accepted by the asker
        when it was written (thread_rows picked which threads are solved)."""
        # The forum tables are empty before a bulk seed (checked in __init__), so ids start at 1.
        for row_id, plan in enumerate(self.solved, start=1):
            yield {
                "id": row_id, "thread_id": plan.id, "post_id": plan.first_post_id + 1, "accepted_by_id": plan.author_id,
                "accepted_at": stamp(plan.post_time(2)),
            }

    # posts

    def _render_bodies(self) -> list[tuple[str, str]]:
        rng = random.Random(self.size.random_seed + 1)
        return [(markdown, render_markdown(markdown)) for markdown in (text.body(rng) for _ in range(BODY_TEMPLATES))]

    def post_rows(self, stamp: Callable) -> Iterator[dict]:
        rng, bodies = self.rng, self.bodies
        for plan in self.threads:
            for position in range(1, plan.posts + 1):
                markdown, html = bodies[rng.randrange(len(bodies))]
                yield {
                    "id": plan.first_post_id + position - 1, "thread_id": plan.id,
                    "author_id": self._post_author(plan, position), "position": position,
                    "body_markdown": markdown, "body_html": html,
                    "created_at": stamp(plan.post_time(position)), "edit_count": 0, "is_hidden": False,
                }

    def _post_author(self, plan: _ThreadPlan, position: int) -> int:
        if position == 1:
            return plan.author_id
        author = self._random_user()
        if position == 2 and author == plan.author_id and self.size.users > 1:
            # The first reply comes from someone else, so "first reply" means the same to every reader.
            author = self.user_base + (author - self.user_base) % self.size.users + 1
        return author

    def _random_user(self) -> int:
        return self.user_base + self.rng.randrange(self.size.users) + 1

    def describe(self, report: SeedReport) -> None:
        report.long_thread_id = self.threads[0].id
        report.twenty_post_thread_ids = [self.threads[i].id for i in self.twenty_post_indexes]
        report.busiest_category_slug = self.categories[0][1]
        report.busiest_category_threads = sum(1 for plan in self.threads if plan.category_index == 0)
        report.first_user_id = self.user_base + 1


def _role_for(n: int) -> Role:
    # A handful of staff among many customers, as in a real community.
    if n == 1:
        return Role.admin
    if n % 2000 == 0:
        return Role.moderator
    if n % 500 == 0:
        return Role.staff
    return Role.customer


def _thread_state(has_replies: bool, rng: random.Random) -> str:
    if not has_replies:
        return "open"
    return "solved" if rng.random() < 0.3 else "answered"


# --- loaders: the fast path per database ----------------------------------------------------------


class _Loader:
    def __init__(self, connection) -> None:
        self.connection = connection
        self.driver = connection.driver_connection

    @staticmethod
    def columns(table: Table, sample: dict) -> tuple[list[str], dict]:
        """Columns to write: what the seeder sets, plus every other column's default or NULL.

        So a column someone adds to a model later still gets its model default here.
        """
        defaults = {}
        for column in table.columns:
            if column.name in sample:
                continue
            default = column.default
            if default is not None and default.is_scalar:
                defaults[column.name] = default.arg
            elif default is not None and default.is_callable:
                defaults[column.name] = default.arg(None)
            else:
                defaults[column.name] = None
        return [*sample, *defaults], defaults

    def rows(self, table: Table, dicts: Iterable[dict]) -> tuple[list[str], Iterator[tuple]]:
        dicts = iter(dicts)
        first = next(dicts, None)
        if first is None:
            return [], iter(())
        names, defaults = self.columns(table, first)
        extra = tuple(self.value(v) for v in defaults.values())
        keys = list(first)
        return names, (tuple(d[k] for k in keys) + extra for d in itertools.chain([first], dicts))

    def value(self, value):
        if isinstance(value, enum.Enum):
            return value.name
        if isinstance(value, datetime):
            return self.timestamp(_naive_utc(value))
        return value


def _naive_utc(value: datetime) -> datetime:
    return value.astimezone(timezone.utc).replace(tzinfo=None) if value.tzinfo else value


class _PostgresLoader(_Loader):
    @staticmethod
    def timestamp(value: datetime) -> datetime:
        return value

    def begin(self) -> None:
        self.cursor = self.driver.cursor()
        # The app's engine caps statements at a few seconds; a COPY of a million rows needs longer.
        self.cursor.execute("SET statement_timeout = 0")
        self.cursor.execute("SET synchronous_commit = off")

    def write(self, table: Table, dicts: Iterable[dict]) -> None:
        names, rows = self.rows(table, dicts)
        if not names:
            return
        with self.cursor.copy(f'COPY {table.name} ({", ".join(names)}) FROM STDIN') as copy:
            for row in rows:
                copy.write_row(row)

    def commit(self) -> None:
        for table in ("users", "categories", "threads", "posts", "accepted_answers"):
            self.cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))"
            )
        self.driver.commit()

    def finish(self) -> None:
        self.driver.autocommit = True
        for table in ("users", "categories", "threads", "posts"):
            self.cursor.execute(f"VACUUM ANALYZE {table}")


class _SqliteLoader(_Loader):
    @staticmethod
    def timestamp(value: datetime) -> str:
        # SQLAlchemy's SQLite DATETIME format, microseconds always present.
        return value.isoformat(" ", "microseconds")

    def begin(self) -> None:
        self.driver.isolation_level = None  # explicit BEGIN/COMMIT below
        for pragma in (
            "synchronous=OFF", "foreign_keys=OFF", "temp_store=MEMORY",
            "cache_size=-262144",
        ):
            self.driver.execute(f"PRAGMA {pragma}")
        self.driver.execute("BEGIN")

    def write(self, table: Table, dicts: Iterable[dict]) -> None:
        names, rows = self.rows(table, dicts)
        if not names:
            return
        sql = f'INSERT INTO {table.name} ({", ".join(names)}) VALUES ({", ".join("?" * len(names))})'
        while batch := list(itertools.islice(rows, SQLITE_BATCH)):
            self.driver.executemany(sql, batch)

    def commit(self) -> None:
        self.driver.execute("COMMIT")

    def finish(self) -> None:
        self.driver.execute("ANALYZE")
        self.driver.execute("PRAGMA wal_checkpoint(TRUNCATE)")
