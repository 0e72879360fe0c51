"""Whoosh backend internals that make it fast: the one-loop analyzer matches Whoosh's own, the
long-lived searcher sees every commit (deletions too), counts are capped, commits rarely merge."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from whoosh import analysis, formats

from community.search import whoosh_backend
from community.search.backend import Access, SearchDoc, SearchRequest
from community.search.whoosh_backend import WhooshBackend
from community.search.whoosh_format import FastPositions

pytestmark = pytest.mark.backends("sqlite")  # no database: the backend alone, on a folder
ANYONE = Access(visibilities=frozenset({"public"}))
NOW = datetime(2026, 1, 1, tzinfo=timezone.utc)


def _doc(thread_id: int, title: str, body: str = "", **extra) -> SearchDoc:
    fields = dict(
        thread_id=thread_id, title=title, body=body, tags=(), category_id=1, category_name="Help",
        visibility="public", is_private=False, author_id=1, state="open", has_verified_answer=False,
        created_at=NOW, last_activity_at=NOW, stamp=str(thread_id),
    )
    return SearchDoc(**{**fields, **extra})


@pytest.mark.parametrize("text", [
    "The printers aren't printing: e.g. HP-4050 at 3.14 GHz, naïve Straße, x.y.z *wild* I a to",
    "", "a an the", "Running runs ran runner, running again and again",
])
def test_fast_positions_equal_whooshs_own(text):
    analyzer = analysis.StemmingAnalyzer()
    assert sorted(FastPositions().word_values(text, analyzer, mode="index")) == sorted(
        formats.Positions().word_values(text, analyzer, mode="index")
    )


def test_phrases_still_match_with_stop_words_between(tmp_path):
    backend = WhooshBackend(str(tmp_path))
    backend.index([_doc(1, "Reset the router to factory settings"), _doc(2, "Router settings reset")])
    found = backend.search(SearchRequest(text='"reset the router"', access=ANYONE))
    assert [hit.thread_id for hit in found.hits] == [1]


def test_the_kept_searcher_sees_additions_and_deletions(tmp_path):
    backend = WhooshBackend(str(tmp_path))
    backend.index([_doc(1, "Battery drains overnight")])
    assert backend.search(SearchRequest(text="battery", access=ANYONE)).total == 1
    backend.index([_doc(2, "Battery swells")])
    assert backend.search(SearchRequest(text="battery", access=ANYONE)).total == 2
    backend.delete([1])
    assert [h.thread_id for h in backend.search(SearchRequest(text="battery", access=ANYONE)).hits] == [2]
    assert set(backend.stamps()) == {2}


def test_counts_are_capped_when_the_collector_skipped(tmp_path, monkeypatch):
    monkeypatch.setattr(whoosh_backend, "COUNT_CAP", 3)
    backend = WhooshBackend(str(tmp_path))
    backend.index([_doc(i, f"Modem question {i}") for i in range(1, 31)])  # more than a page + 20
    backend.index([_doc(31, "Modem question hidden", visibility="staff")])
    many = backend.search(SearchRequest(text="modem", access=ANYONE, per_page=2))
    assert (many.total, many.total_capped) == (3, True)
    assert len(many.hits) == 2
    staff = Access(visibilities=frozenset({"public", "staff"}), sees_all_private=True)
    few = backend.search(SearchRequest(text="hidden", access=staff))
    assert (few.total, few.total_capped) == (1, False)
    monkeypatch.setattr(whoosh_backend, "COUNT_CAP", 100)
    assert backend.search(SearchRequest(text="modem", access=staff, per_page=2)).total == 31
    assert backend.search(SearchRequest(text="modem", access=ANYONE, per_page=2)).total == 30


def test_one_post_commits_do_not_merge_until_segments_pile_up(tmp_path, monkeypatch):
    monkeypatch.setattr(whoosh_backend, "MAX_SEGMENTS", 4)
    backend = WhooshBackend(str(tmp_path))
    counts = []
    for n in range(1, 8):
        backend.index([_doc(n, f"Post number {n}")])
        counts.append(len(backend.ix().reader().leaf_readers()))
    assert counts[:4] == [1, 2, 3, 4]
    assert max(counts) <= 5
    backend.maintain()
    assert len(backend.ix().reader().leaf_readers()) == 1
    assert backend.search(SearchRequest(text="post", access=ANYONE)).total == 7
