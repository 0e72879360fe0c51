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


def test_one_post_commits_never_merge_and_the_compact_job_merges_ten_alike(tmp_path):
    backend = WhooshBackend(str(tmp_path))
    counts = []
    for n in range(1, 13):
        backend.index([_doc(n, f"Post number {n}")])
        counts.append(len(backend.ix().reader().leaf_readers()))
        backend.compact()
    assert counts[:10] == list(range(1, 11))
    assert len(backend.ix().reader().leaf_readers()) == 3  # the ten became one, then two more
    backend.index([_doc(3, "Post number three, edited")])  # replaces its copy inside the merged segment
    backend.maintain()
    assert len(backend.ix().reader().leaf_readers()) == 1
    assert backend.search(SearchRequest(text="post", access=ANYONE)).total == 12
    assert [hit.thread_id for hit in backend.search(SearchRequest(text="edited", access=ANYONE)).hits] == [3]


@pytest.mark.parametrize("procs", [1, 2])
def test_bulk_rebuild_writes_what_whooshs_own_writer_writes(tmp_path, monkeypatch, procs):
    docs = [
        _doc(n, f"Printer {n} jams", body=f"The printer jams on page {n}. " * (n % 5 + 1), tags=("hp", f"t{n % 3}"),
             visibility="staff" if n % 4 == 0 else "public", state="solved" if n % 2 else "open")
        for n in range(1, 60)
    ]
    monkeypatch.setattr(whoosh_backend, "_bulk_procs", lambda: procs)
    monkeypatch.setattr(whoosh_backend.whoosh_bulk, "BATCH_DOCS", 7)
    monkeypatch.setattr(whoosh_backend.whoosh_bulk, "MAX_SEGMENT_POSTINGS", 400)  # several segments a process
    bulk = WhooshBackend(str(tmp_path / "bulk"))
    assert bulk.rebuild(iter(docs)) == len(docs)
    reference = WhooshBackend(str(tmp_path / "reference"))
    writer = reference.ix().writer()
    for doc in docs:
        writer.add_document(**whoosh_backend._fields(doc))
    writer.commit()

    def contents(backend):
        reader = backend.searcher().reader()
        stored = sorted((f["thread_id"], sorted(f.items())) for f in reader.all_stored_fields())
        terms = sorted((field, text, reader.doc_frequency(field, text)) for field, text in reader.all_terms())
        lengths = {field: reader.field_length(field) for field in ("title", "body", "tags", "spell_public")}
        return stored, terms, lengths

    assert len(bulk.ix()._segments()) > 1
    assert contents(bulk) == contents(reference)
    staff = Access(visibilities=frozenset({"public", "staff"}), sees_all_private=True)
    for text in ("printer jams", '"jams on page"', "print*", "hp"):
        request = SearchRequest(text=text, access=staff, per_page=100)
        assert sorted(h.thread_id for h in bulk.search(request).hits) == sorted(
            h.thread_id for h in reference.search(request).hits
        )
