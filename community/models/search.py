"""Search: the index outbox, the PostgreSQL search documents, and search/deflection events."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String, Text
from sqlalchemy.dialects.postgresql import TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, utcnow


class SearchOutbox(Base):
    """A thread whose search document must be rebuilt.

    Written in the same transaction as the change, so a crash between commit and indexing leaves
    the row here for the next drain. No foreign key: the thread may be gone by the time we drain.
    Drained rows are kept a day (processed_at set) so a full rebuild can replay what changed while
    it ran.
    """

    __tablename__ = "search_outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    thread_id: Mapped[int] = mapped_column(index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    processed_at: Mapped[datetime | None] = mapped_column(default=None, index=True)


class _ThreadFacts:
    """What filtering and access checks read, in both PostgreSQL search tables."""

    category_id: Mapped[int]
    visibility: Mapped[str] = mapped_column(String(20))
    is_private: Mapped[bool]
    author_id: Mapped[int]
    state: Mapped[str] = mapped_column(String(20))
    has_verified_answer: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime]
    last_activity_at: Mapped[datetime]


class SearchDocumentRow(_ThreadFacts, Base):
    """One thread's text as the PostgreSQL backend highlights it and spells from. Unused (empty)
    with the Whoosh backend. What queries match and rank lives in search_ranks."""

    __tablename__ = "search_documents"

    thread_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    title: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    tags: Mapped[str] = mapped_column(Text, default="")
    category_name: Mapped[str] = mapped_column(String(80))
    stamp: Mapped[str] = mapped_column(String(64))
    # Unstemmed words for "did you mean", kept apart so corrections are real words.
    spelling: Mapped[str] = mapped_column(TSVECTOR().with_variant(Text(), "sqlite"))


class SearchRank(_ThreadFacts, Base):
    """One thread as the PostgreSQL backend matches, filters and ranks it: no text columns, so a
    common word's tens of thousands of matches are read from a narrow heap (the wide document
    rows made one such query cost seconds). Unused (empty) with the Whoosh backend."""

    __tablename__ = "search_ranks"
    __table_args__ = (
        Index("ix_search_ranks_document", "document", postgresql_using="gin"),
        Index("ix_search_ranks_heading", "heading", postgresql_using="gin"),
    )

    thread_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    # Title (A) and tags/category (B) only: small, so candidates are pre-ranked without reading
    # whole threads' lexemes.
    heading: Mapped[str] = mapped_column(TSVECTOR().with_variant(Text(), "sqlite"))
    # Weighted lexemes (title A, tags/category B, body C); stored out of line (toast_tuple_target)
    # and read only for the bounded candidate set that is ranked.
    document: Mapped[str] = mapped_column(TSVECTOR().with_variant(Text(), "sqlite"))


class SearchWord(Base):
    """PostgreSQL "did you mean" vocabulary: words of readable text per access level, so a query
    looks up a few near words instead of scanning every document's words.

    level is a visibility level, or "private" for private threads (offered to staff only). Rows
    are added as documents are indexed and rebuilt from the documents by a scheduled job; a
    correction is still checked against the live documents before it is offered. Unused (empty)
    with the Whoosh backend.
    """

    __tablename__ = "search_words"

    level: Mapped[str] = mapped_column(String(20), primary_key=True)
    # Byte order ("C"), so a first-letter range scan walks the primary key.
    word: Mapped[str] = mapped_column(
        String(100, collation="C").with_variant(String(100), "sqlite"), primary_key=True
    )
    ndoc: Mapped[int] = mapped_column(default=0)


class SearchEvent(Base):
    """A search, a zero-result search or a result click. user_id is cleared after 30 days."""

    __tablename__ = "search_events"
    __table_args__ = (Index("ix_search_events_kind_created", "kind", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  # search | click
    query: Mapped[str] = mapped_column(String(200))
    result_count: Mapped[int] = mapped_column(default=0)
    thread_id: Mapped[int | None] = mapped_column(default=None)
    user_id: Mapped[int | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class DeflectionEvent(Base):
    """Similar-question suggestions in the composer: shown, opened, abandoned, posted anyway."""

    __tablename__ = "deflection_events"
    __table_args__ = (Index("ix_deflection_events_compose", "compose_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  # shown | opened | abandoned | posted
    # A random id the composer page makes up, tying one compose session's events together.
    compose_id: Mapped[str] = mapped_column(String(40))
    thread_id: Mapped[int | None] = mapped_column(default=None)
    user_id: Mapped[int | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
