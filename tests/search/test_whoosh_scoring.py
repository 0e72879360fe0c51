"""Array matching (whoosh_scoring) finds, scores and counts exactly what Whoosh's own matchers do,
across several segments and deleted documents; queries it does not handle still work."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from community.search import whoosh_backend, whoosh_scoring
from community.search.backend import Access, SearchDoc, SearchRequest
from community.search.whoosh_backend import WhooshBackend

pytestmark = pytest.mark.backends("sqlite")  # no database: the backend alone, on a folder
ANYONE = Access(visibilities=frozenset({"public"}))
NOW = datetime(2026, 1, 1, tzinfo=timezone.utc)
WORDS = "printer jams paper tray toner driver network scanner wifi update firmware cable".split()


def _doc(n: int) -> SearchDoc:
    title = f"{WORDS[n % 12]} {WORDS[(n * 5) % 12]} problem"
    body = " ".join(WORDS[(n * k) % 12] for k in range(1, 2 + n % 9)) + f" case {n}"
    return SearchDoc(
        thread_id=n, title=title, body=body, tags=(WORDS[(n * 7) % 12],), category_id=1 + n % 3,
        category_name=["Printers", "Network", "Help"][n % 3], visibility="staff" if n % 5 == 0 else "public",
        is_private=False, author_id=1, state="solved" if n % 4 == 0 else "open", has_verified_answer=n % 9 == 0,
        created_at=NOW, last_activity_at=NOW - timedelta(hours=n * 7 % 50), stamp=str(n),
    )


@pytest.fixture
def backend(tmp_path):
    backend = WhooshBackend(str(tmp_path))
    backend.rebuild(_doc(n) for n in range(1, 120))
    backend.index([_doc(n) for n in range(120, 160)])  # a second segment
    backend.index([_doc(n) for n in range(160, 170)])
    backend.delete([3, 125, 161])  # deletions in every segment
    return backend


@pytest.mark.parametrize("text", [
    "printer", "printer jams", "paper OR wifi", "toner NOT driver", "network scanner cable",
    "printers problem", "update firmware wifi cable", "nothingmatches", "printer nothingmatches", "NOT printer",
    "(paper OR wifi) NOT (toner OR cable)",
])
def test_arrays_score_and_count_as_whooshs_matchers_do(backend, text):
    searcher = backend.searcher()
    query = backend.parse(text)
    allowed = backend._docset(searcher, whoosh_backend.access_filter(ANYONE))
    assert len(searcher.leaf_searchers()) == 3 and whoosh_scoring.supported(query, searcher)
    expected = searcher.search(query, limit=None, filter=allowed, optimize=False)
    top, count = whoosh_scoring.top_matches(searcher, query, allowed, 10, newest=False)
    assert count == len(expected)
    assert [(round(score, 9), docnum) for score, docnum in top] == [
        (round(score, 9), docnum) for score, docnum in sorted(expected.top_n, key=lambda e: (-e[0], e[1]))[:10]
    ]


def test_newest_first_orders_by_last_activity(backend):
    searcher = backend.searcher()
    allowed = backend._docset(searcher, whoosh_backend.access_filter(ANYONE))
    top, _count = whoosh_scoring.top_matches(searcher, backend.parse("printer"), allowed, 8, newest=True)
    activity = [searcher.stored_fields(docnum)["last_activity"] for _score, docnum in top]
    assert activity == sorted(activity, reverse=True)
    expected = searcher.search(backend.parse("printer"), limit=None, filter=allowed, sortedby="last_activity", reverse=True)
    assert activity[0] == searcher.stored_fields(expected.top_n[0][1])["last_activity"]


def test_searches_by_both_paths_find_the_same_threads(backend, monkeypatch):
    texts = ["printer jams", "paper OR wifi", "toner NOT driver", "cable"]
    requests = [SearchRequest(text=t, access=ANYONE, per_page=50, sort=s) for t in texts for s in ("relevance", "newest")]
    fast = [backend.search(r) for r in requests]
    monkeypatch.setattr(whoosh_scoring, "supported", lambda query, searcher: False)
    slow = [backend.search(r) for r in requests]
    for a, b in zip(fast, slow):
        assert a.total == b.total
        assert sorted(h.thread_id for h in a.hits) == sorted(h.thread_id for h in b.hits)
    relevance = [(a, b) for (a, b), r in zip(zip(fast, slow), requests) if r.sort == "relevance"]
    for a, b in relevance:
        assert [h.thread_id for h in a.hits] == [h.thread_id for h in b.hits]


@pytest.mark.parametrize("text", ['"driver problem"', "print*", "firm*"])
def test_phrases_and_prefixes_use_whooshs_own_search(backend, text):
    searcher = backend.searcher()
    assert not whoosh_scoring.supported(backend.parse(text), searcher)
    assert backend.search(SearchRequest(text=text, access=ANYONE)).hits


def test_capped_count_says_more_than_the_cap(backend, monkeypatch):
    monkeypatch.setattr(whoosh_backend, "COUNT_CAP", 5)
    found = backend.search(SearchRequest(text="printer", access=ANYONE, per_page=2))
    assert (found.total, found.total_capped, len(found.hits)) == (5, True, 2)


def test_equal_scores_at_the_cut_keep_the_lowest_document_numbers(tmp_path):
    backend = WhooshBackend(str(tmp_path))
    same = [SearchDoc(**{**_doc(n).__dict__, "title": "modem resets", "body": "modem", "tags": (),
                         "category_name": "Help", "visibility": "public"}) for n in range(1, 30)]
    backend.rebuild(same)
    searcher = backend.searcher()
    allowed = backend._docset(searcher, whoosh_backend.access_filter(ANYONE))
    top, count = whoosh_scoring.top_matches(searcher, backend.parse("modem"), allowed, 4, newest=False)
    assert count == 29
    assert [docnum for _score, docnum in top] == [0, 1, 2, 3]


@pytest.mark.parametrize("typed", ["printer the", "printer 42", "printer zzz", "prin"])
def test_words_being_typed_are_completed_into_terms_never_a_prefix_query(backend, typed):
    # A prefix query would expand over every body word and take Whoosh's slow path; a last word
    # that nothing completes (a stop word, a number, an unknown word) is searched as a whole word.
    request = SearchRequest(text=typed, access=ANYONE, prefix_last=True)
    completed = backend._completed(request)
    assert "*" not in completed
    assert whoosh_scoring.supported(backend.parse(completed), backend.searcher())
    if typed == "prin":
        assert completed.startswith("(prin OR ") and "printer" in completed
    else:
        assert completed == typed
