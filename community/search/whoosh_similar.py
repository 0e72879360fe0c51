"""Whoosh backend: the terms a similar-question lookup searches for, and its candidates."""
from __future__ import annotations

from whoosh.lang.porter import stem as porter_stem

from . import similar as similar_rank
from .whoosh_format import stemmed_positions
from .whoosh_ranking import from_epoch

SIMILAR_BODY_TERMS = 12
# A word in more than this share of threads finds no similar questions (in indexes this big).
SIMILAR_COMMON_SHARE = 0.2
SIMILAR_COMMON_MIN_DOCS = 1000


def candidate(searcher, score: float, docnum: int) -> similar_rank.Candidate:
    stored = searcher.stored_fields(docnum)
    return similar_rank.Candidate(
        key=docnum, title=stored["title"], body=stored.get("body", "")[:similar_rank.TEXT_CHARS],
        engine_score=float(score or 0.0), verified=stored["verified"] == "y", solved=stored["state"] == "solved",
        last_activity=from_epoch(stored["last_activity"]).timestamp(), thread_id=int(stored["thread_id"]),
    )


_QUESTION_STEMS = frozenset(porter_stem(word) for word in similar_rank.STOP_WORDS)


def query_terms(text: str) -> list[str]:
    """Distinct stems as the index's analyzer makes them ("node.js" and "max_connections" stay one
    word each, as indexed), question words dropped. similar_rank.terms splits differently, which is
    fine for comparing two texts with each other but would miss such words in the index."""
    return [term for term in stemmed_positions(text) if term not in _QUESTION_STEMS]


def common_terms(searcher, terms: list[str]) -> set[str]:
    reader = searcher.reader()
    total = reader.doc_count()
    if total < SIMILAR_COMMON_MIN_DOCS:  # in a small index every shared word looks common
        return set()
    return {term for term in terms if reader.doc_frequency("body", term) > SIMILAR_COMMON_SHARE * total}


def distinctive(searcher, terms: list[str], count: int) -> list[str]:
    reader = searcher.reader()
    scored = [(reader.doc_frequency("body", term), term) for term in dict.fromkeys(terms)]
    # Rare but present words say most about a question; words in no document say nothing.
    return [term for freq, term in sorted(scored) if freq > 0][:count]
