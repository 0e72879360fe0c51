"""Build search documents from threads: what a thread looks like to the index."""
from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from typing import Iterable, Iterator

from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import Post, Thread, VerifiedAnswer, Visibility
from .backend import SearchDoc, clean_text

BATCH = 500


def plain_text(html: str) -> str:
    # Rendered HTML, not Markdown, so link targets and markup characters stay out of the index.
    return clean_text(Markup(html or "").striptags())


def build_doc(thread: Thread, posts: Iterable[Post], has_verified_answer: bool = False) -> SearchDoc | None:
    """The document for a thread, or None when the thread must not be in the index."""
    if thread.deleted_at is not None or thread.is_pending:
        return None
    visible = sorted(
        (p for p in posts if p.deleted_at is None and not p.is_hidden and not p.is_pending), key=lambda p: p.position
    )
    body = "\n\n".join(plain_text(p.body_html) for p in visible)
    category = thread.category
    visibility = Visibility.staff.value if category.deleted_at is not None else category.visibility.value
    fields = dict(
        thread_id=thread.id,
        title=clean_text(thread.title),
        body=body,
        tags=tuple(tag.name for tag in thread.tags),
        category_id=category.id,
        category_name=category.name,
        visibility=visibility,
        is_private=bool(thread.is_private),
        author_id=thread.author_id,
        state=thread.state.value,
        has_verified_answer=has_verified_answer,
        created_at=thread.created_at,
        last_activity_at=thread.last_activity_at,
    )
    return SearchDoc(**fields, stamp=_stamp(fields))


def _stamp(fields: dict) -> str:
    payload = json.dumps(fields, default=str, sort_keys=True)
    return hashlib.sha1(payload.encode()).hexdigest()


def docs_for(session: Session, thread_ids: Iterable[int]) -> tuple[list[SearchDoc], list[int]]:
    """Documents to write and thread ids to delete, for these threads."""
    ids = sorted(set(thread_ids))
    threads = {t.id: t for t in session.scalars(select(Thread).where(Thread.id.in_(ids)))} if ids else {}
    posts = _posts_by_thread(session, list(threads))
    verified = set(session.scalars(select(VerifiedAnswer.thread_id).where(VerifiedAnswer.thread_id.in_(ids)))) if ids else set()
    docs, gone = [], []
    for thread_id in ids:
        thread = threads.get(thread_id)
        doc = build_doc(thread, posts.get(thread_id, []), thread_id in verified) if thread else None
        if doc is None:
            gone.append(thread_id)
        else:
            docs.append(doc)
    return docs, gone


def all_docs(session: Session) -> Iterator[SearchDoc]:
    """Every indexable thread, in batches, so a full rebuild never holds everything in memory."""
    last_id = 0
    while True:
        ids = list(
            session.scalars(
                select(Thread.id).where(Thread.id > last_id, Thread.deleted_at.is_(None))
                .order_by(Thread.id).limit(BATCH)
            )
        )
        if not ids:
            return
        docs, _gone = docs_for(session, ids)
        yield from docs
        session.expunge_all()
        last_id = ids[-1]


def count_indexable(session: Session) -> int:
    from sqlalchemy import func

    return session.scalar(select(func.count(Thread.id)).where(Thread.deleted_at.is_(None))) or 0


def _posts_by_thread(session: Session, thread_ids: list[int]) -> dict[int, list[Post]]:
    grouped: dict[int, list[Post]] = defaultdict(list)
    if not thread_ids:
        return grouped
    rows = session.execute(
        select(Post.thread_id, Post.position, Post.body_html, Post.deleted_at, Post.is_hidden, Post.is_pending)
        .where(Post.thread_id.in_(thread_ids))
    )
    for row in rows:
        grouped[row.thread_id].append(row)
    return grouped
