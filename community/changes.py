"""One change tracker: what a commit changed, told once to the caches and to search.

`register()` installs one set of Session listeners (create_app calls it; nothing listens at import).
Each flush is walked once: every new, changed or deleted row of a table some subscriber watches
becomes a `Row` with its changed attributes and the threads and categories it belongs to (a post's
thread, a vote's post's thread, a thread's category: each looked up once per flush). Statements
that skip the flush (ORM UPDATE/DELETE/INSERT, text() writes) become a `Statement` naming their
table, and for threads and posts the threads they hit, read before the statement runs.

Subscribers come in two kinds:
- `subscribe(callback, tables)`: after the commit, `callback(change_set)` once with everything the
  transaction changed; a rollback forgets it. The page cache and the widget cache.
- `subscribe_in_transaction(callback, tables)`: `callback(session, change_set)` after each flush and
  before each statement, inside the transaction, with what that flush or statement changed: for
  work that must commit with the change (search's outbox rows).
A table that no subscriber names is invisible: its rows are skipped with one set lookup.
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any, Callable, Iterable, NamedTuple, Optional

from sqlalchemy import event, inspect, select
from sqlalchemy.orm import Session

from .models import Category, Post, Thread

log = logging.getLogger(__name__)

INSERT, UPDATE, DELETE = "insert", "update", "delete"
# A text() statement whose table cannot be read: subscribers assume it wrote anything.
UNKNOWN_TABLE = "?"
PENDING = "changes.pending"


class Row(NamedTuple):
    table: str
    op: str  # INSERT, UPDATE or DELETE
    key: Any  # the primary key (a tuple when it has several columns)
    columns: frozenset[str]  # attributes whose value changed (empty for inserts)
    thread_ids: frozenset[int]  # threads the row belongs to, before and after a move
    category_ids: frozenset[int]  # categories whose listings show it (a thread's, before and after)


class Statement(NamedTuple):
    table: str  # UNKNOWN_TABLE when it cannot be told
    thread_ids: Optional[frozenset[int]]  # threads an UPDATE/DELETE on threads or posts hits; None: not known


@dataclass(frozen=True)
class ChangeSet:
    rows: tuple[Row, ...] = ()
    statements: tuple[Statement, ...] = ()

    @property
    def tables(self) -> frozenset[str]:
        return frozenset(row.table for row in self.rows) | {s.table for s in self.statements}

    def __bool__(self) -> bool:
        return bool(self.rows or self.statements)


# Callbacks in the order subscribed, each with the tables it watches.
_after_commit_subscribers: dict[Callable[[ChangeSet], None], frozenset[str]] = {}
_in_transaction_subscribers: dict[Callable[[Session, ChangeSet], None], frozenset[str]] = {}
_watched: frozenset[str] = frozenset()
_registered = False


def subscribe(callback: Callable[[ChangeSet], None], tables: Iterable[str]) -> None:
    """Call `callback(change_set)` after each commit that changed a watched table (this subscriber's
    or another's: each one picks what it needs). Subscribing a callback again replaces its tables."""
    _after_commit_subscribers[callback] = frozenset(tables)
    _recompute_watched()


def subscribe_in_transaction(callback: Callable[[Session, ChangeSet], None], tables: Iterable[str]) -> None:
    """Call `callback(session, change_set)` inside the transaction after each flush, and before each
    statement, that changed a watched table. Idempotent, like subscribe."""
    _in_transaction_subscribers[callback] = frozenset(tables)
    _recompute_watched()


def unsubscribe(callback: Callable) -> None:
    _after_commit_subscribers.pop(callback, None)
    _in_transaction_subscribers.pop(callback, None)
    _recompute_watched()


def watched_tables() -> frozenset[str]:
    return _watched


def _recompute_watched() -> None:
    global _watched
    _watched = frozenset().union(*_after_commit_subscribers.values(), *_in_transaction_subscribers.values())


def register() -> None:
    """Listen on every Session once per process (apps share the ORM classes)."""
    global _registered
    if _registered:
        return
    event.listen(Session, "after_flush", _after_flush)
    event.listen(Session, "do_orm_execute", _statement)
    event.listen(Session, "after_commit", _after_commit)
    event.listen(Session, "after_rollback", _forget)
    _registered = True


# --- the flush -----------------------------------------------------------------------------------


def _after_flush(session: Session, _context) -> None:
    tables = _watched
    categories_of_threads: dict[int, Optional[int]] = {}  # one lookup per thread per flush
    rows = []
    for obj in session.new:
        table = getattr(obj, "__tablename__", None)
        if table in tables:
            rows.append(_row(session, obj, table, INSERT, frozenset(), categories_of_threads))
    deleted = session.deleted
    for obj in (*session.dirty, *deleted):
        table = getattr(obj, "__tablename__", None)
        if table not in tables:
            continue
        columns = _changed_columns(obj)
        is_deleted = obj in deleted
        if columns or is_deleted:
            rows.append(_row(session, obj, table, DELETE if is_deleted else UPDATE, columns, categories_of_threads))
    if rows:
        _publish_in_transaction(session, ChangeSet(rows=tuple(rows)))


def _changed_columns(obj) -> frozenset[str]:
    # Only attributes set since the load can have changed; history says whether the value did.
    state = inspect(obj)
    return frozenset(key for key in state.committed_state if state.attrs[key].history.has_changes())


def _row(session: Session, obj, table: str, op: str, columns: frozenset[str], categories_of_threads: dict) -> Row:
    # Not inspect(obj).identity: a new row has none until the flush is over.
    key = inspect(obj).mapper.primary_key_from_instance(obj)
    key = key[0] if len(key) == 1 else tuple(key)
    if isinstance(obj, Thread):
        category_ids = {obj.category_id, *_old_values(obj, "category_id", columns)}
        category_ids.discard(None)
        return Row(table, op, key, columns, frozenset({obj.id}), frozenset(category_ids))
    thread_id = getattr(obj, "thread_id", None)
    if thread_id is None and getattr(obj, "post_id", None) is not None:
        thread_id = _thread_of_post(session, obj.post_id)
    if thread_id is None:
        return Row(table, op, key, columns, frozenset(), frozenset({key}) if isinstance(obj, Category) else frozenset())
    category_id = _category_of_thread(session, thread_id, categories_of_threads)
    thread_ids = frozenset({thread_id, *_old_values(obj, "thread_id", columns)} - {None})
    return Row(table, op, key, columns, thread_ids, frozenset() if category_id is None else frozenset({category_id}))


def _old_values(obj, attribute: str, columns: frozenset[str]) -> tuple:
    # A row moved to another thread (or a thread to another category) changes both.
    return tuple(inspect(obj).attrs[attribute].history.deleted) if attribute in columns else ()


def _thread_of_post(session: Session, post_id: int) -> Optional[int]:
    post = session.identity_map.get(inspect(Post).identity_key_from_primary_key((post_id,)))
    if post is not None:
        return post.thread_id
    return session.connection().scalar(select(Post.thread_id).where(Post.id == post_id))


def _category_of_thread(session: Session, thread_id: int, known: dict) -> Optional[int]:
    thread = session.identity_map.get(inspect(Thread).identity_key_from_primary_key((thread_id,)))
    if thread is not None:
        return thread.category_id
    if thread_id not in known:
        known[thread_id] = session.connection().scalar(select(Thread.category_id).where(Thread.id == thread_id))
    return known[thread_id]


# --- statements that skip the flush --------------------------------------------------------------


def _statement(state) -> None:
    if state.is_select:
        return
    table = _statement_table(state)
    if table is None or (table != UNKNOWN_TABLE and table not in _watched):
        return
    statement = Statement(table, _threads_hit(state) if state.is_update or state.is_delete else None)
    _publish_in_transaction(state.session, ChangeSet(statements=(statement,)))


def _statement_table(state) -> Optional[str]:
    """The table a statement writes; None for one that writes nothing."""
    statement = state.statement
    if state.is_update or state.is_delete or state.is_insert:
        mapper = state.bind_mapper
        if mapper is not None:
            return mapper.local_table.name
        return getattr(getattr(statement, "table", None), "name", None) or UNKNOWN_TABLE
    sql = str(statement).lstrip()  # text(): the search backend writes its tables this way
    if sql[:7].upper().startswith(("SELECT", "WITH", "PRAGMA", "EXPLAIN", "SET ")):
        return None
    match = _TEXT_TABLE.match(sql)
    return match.group(1).lower() if match else UNKNOWN_TABLE


_TEXT_TABLE = re.compile(
    r"(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM|TRUNCATE(?:\s+TABLE)?|DROP\s+TABLE(?:\s+IF\s+EXISTS)?|"
    r"CREATE\s+(?:UNIQUE\s+)?INDEX\s+\w+\s+ON|CREATE\s+TABLE|ALTER\s+(?:TABLE|INDEX))\s+\"?(\w+)",
    re.IGNORECASE,
)


def _threads_hit(state) -> Optional[frozenset[int]]:
    """The threads an ORM UPDATE/DELETE on threads or posts reaches, read before it runs."""
    entity = state.bind_mapper.class_ if state.bind_mapper is not None else None
    if entity not in (Thread, Post):
        return None
    connection = state.session.connection()
    if isinstance(state.parameters, list):
        # ORM bulk UPDATE by primary key: the rows are named in the parameters.
        ids = {row["id"] for row in state.parameters if "id" in row}
        if entity is Post and ids:
            ids = set(connection.scalars(select(Post.thread_id).where(Post.id.in_(ids))))
        return frozenset(ids)
    query = select(Thread.id if entity is Thread else Post.thread_id)
    if state.statement.whereclause is not None:
        query = query.where(state.statement.whereclause)
    return frozenset(connection.scalars(query))


# --- the transaction's end -----------------------------------------------------------------------


def _publish_in_transaction(session: Session, change_set: ChangeSet) -> None:
    pending = session.info.setdefault(PENDING, ([], []))
    pending[0].extend(change_set.rows)
    pending[1].extend(change_set.statements)
    for callback in tuple(_in_transaction_subscribers):
        callback(session, change_set)  # a failure here fails the flush: the work belongs to it


def _after_commit(session: Session) -> None:
    # SQLAlchemy also calls this when a SAVEPOINT (begin_nested) is released: the outer transaction
    # still holds the rows (and on SQLite the write lock), so nothing is told until it commits.
    if session.in_nested_transaction():
        return
    pending = session.info.pop(PENDING, None)  # first: a subscriber's own commit starts afresh
    if pending is None:
        return
    change_set = ChangeSet(rows=tuple(pending[0]), statements=tuple(pending[1]))
    for callback in tuple(_after_commit_subscribers):
        try:
            callback(change_set)
        except Exception:  # the commit already happened; each cache bounds its staleness by expiry
            log.warning("change subscriber %s failed", getattr(callback, "__qualname__", callback), exc_info=True)


def _forget(session: Session) -> None:
    session.info.pop(PENDING, None)
