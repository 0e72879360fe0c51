"""PostgreSQL search over many matches: only a bounded pool is ranked (title matches first), counts
stop at COUNT_CAP, rebuilds keep both tables, and access filtering holds in each branch."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import text

from community.extensions import db
from community.search import postgres_backend
from community.search.backend import Access, SearchDoc, SearchRequest
from community.search.postgres_backend import PostgresBackend

pytestmark = pytest.mark.backends("postgres")

ANYONE = Access(visibilities=frozenset({"public"}))
NOW = datetime(2026, 1, 1, tzinfo=timezone.utc)


@pytest.fixture
def app_overrides():
    return {"SEARCH_BACKEND": "postgres"}


def _doc(thread_id: int, title: str, body: str = "", *, visibility: str = "public", age_days: int = 0,
         solved: bool = False) -> SearchDoc:
    when = NOW - timedelta(days=age_days)
    return SearchDoc(
        thread_id=thread_id, title=title, body=body, tags=(), category_id=1, category_name="General",
        visibility=visibility, is_private=False, author_id=1, state="solved" if solved else "open",
        has_verified_answer=False, created_at=when, last_activity_at=when, stamp=str(thread_id),
    )


def _ids(backend: PostgresBackend, query: str, **options) -> list[int]:
    return [hit.thread_id for hit in backend.search(SearchRequest(text=query, access=ANYONE, **options)).hits]


def test_title_matches_fill_the_pool_before_body_matches(app, monkeypatch):
    monkeypatch.setattr(postgres_backend, "POOL", 3)
    backend = PostgresBackend()
    backend.index([_doc(1, "Gearbox", "widget " * 30), *(_doc(n, f"Widget {n}", age_days=n) for n in range(2, 6))])
    db.session.commit()
    first = _ids(backend, "widget", per_page=3)
    assert first == [2, 3, 4]  # the body match with 30 mentions never enters a full pool
    assert 1 in _ids(backend, "widget", per_page=5)  # a wider pool takes it in, ranked by its text
    assert _ids(backend, "widget -gearbox") == [2, 3, 4, 5]  # the negated word's thread stays out


def test_body_matches_join_when_titles_do_not_fill_the_pool(app, monkeypatch):
    monkeypatch.setattr(postgres_backend, "POOL", 3)
    backend = PostgresBackend()
    backend.index([_doc(1, "Sprocket"), _doc(2, "Other", "sprocket", age_days=5),
                   _doc(3, "Other", "sprocket", age_days=1, solved=True), _doc(4, "Other", "sprocket")])
    db.session.commit()
    # Solved, then recent body matches are the candidates; the title match ranks first.
    assert _ids(backend, "sprocket", per_page=2) == [1, 3]
    assert _ids(backend, "sprocket", page=2, per_page=2) == [4, 2]  # deeper pages widen the pool


def test_counts_stop_at_the_cap_and_gated_threads_are_never_counted(app, monkeypatch):
    monkeypatch.setattr(postgres_backend, "COUNT_CAP", 3)
    backend = PostgresBackend()
    backend.index([*(_doc(n, f"Gizmo {n}") for n in range(1, 6)),
                   _doc(6, "Gizmo staff", visibility="staff"), _doc(7, "Other", "gizmo", visibility="staff")])
    db.session.commit()
    many = backend.search(SearchRequest(text="gizmo", access=ANYONE, per_page=2))
    assert (many.total, many.total_capped, len(many.hits)) == (3, True, 2)
    staff_only = backend.search(SearchRequest(text="staff", access=ANYONE))
    assert (staff_only.total, staff_only.hits) == (0, [])
    assert 6 not in _ids(backend, "gizmo", per_page=10) and 7 not in _ids(backend, "gizmo", per_page=10)
    newest = backend.search(SearchRequest(text="gizmo", access=ANYONE, sort="newest", per_page=10))
    assert {hit.thread_id for hit in newest.hits} == {1, 2, 3, 4, 5}


def test_rebuild_swaps_both_tables_and_keeps_the_narrow_rows_out_of_line(app):
    backend = PostgresBackend()
    backend.index([_doc(1, "Stale thread")])
    db.session.commit()
    assert backend.rebuild([_doc(2, "Fresh lantern", "lantern " * 400)]) == 1
    assert _ids(backend, "lantern") == [2] and _ids(backend, "stale") == []
    options = db.session.scalar(text("SELECT reloptions FROM pg_class WHERE relname = 'search_ranks'"))
    assert f"toast_tuple_target={postgres_backend.RANKS_TOAST_TARGET}" in options
    backend.delete([2])
    counts = "SELECT (SELECT count(*) FROM search_ranks), (SELECT count(*) FROM search_documents)"
    assert db.session.execute(text(counts)).one() == (0, 0)


def test_newest_checks_phrases_and_negations_exactly(app):
    backend = PostgresBackend()
    backend.index([_doc(1, "Router firmware", age_days=3), _doc(2, "Firmware for the router", age_days=1),
                   _doc(3, "Router firmware beta", age_days=2), _doc(4, "Router firmware", "beta", age_days=0)])
    db.session.commit()
    assert _ids(backend, '"router firmware"', sort="newest") == [4, 3, 1]
    assert _ids(backend, '"router firmware" -beta', sort="newest") == [1]
    assert _ids(backend, 'router -"router firmware"', sort="newest") == [2]
