"""Similar questions, ranked the same way on every backend.

A backend finds a broad pool of candidates the reader may see (any shared word, title matches
first, its own BM25F or ts_rank score); `rerank` then orders that pool by TF-IDF cosine of title +
body, plus a little of the backend's score. Cosine over whole texts is what tells a question
phrased differently from one that merely shares a few words, and ranking the pool here, not in
the engine, makes both backends agree. IDF comes from the pool itself (with the question): words
every candidate shares say nothing about which candidate is closest, and no backend has to be
asked for corpus statistics.
"""
from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterable

from whoosh.lang.porter import stem as porter_stem

from .backend import ranking_boost
from .whoosh_format import STOP_WORDS as INDEX_STOP_WORDS

POOL = 50
# Candidates are compared on their opening part: the question, not a long tail of replies.
TEXT_CHARS = 3000
# A title states the question; its words count twice over the body's.
TITLE_WEIGHT = 2.0
# The engine's score has seen field lengths and corpus-wide rarity; cosine has not.
ENGINE_WEIGHT = 0.35

# Function words (the Whoosh index's own stop list) and the auxiliaries and pronouns of a question
# ("how do I", "what does my"). Not a longer list: words like "why", "own", "up" or "off" tell
# questions apart (measured: Snowball's English list lost 2 points of recall@5).
STOP_WORDS = INDEX_STOP_WORDS | frozenset("""
how do does did doing my me what which who whom am was were been being has had having
""".split())

_WORD = re.compile(r"[^\W_]+")


@dataclass(frozen=True)
class Candidate:
    key: object  # the backend's handle on the document (Whoosh docnum, PostgreSQL thread id)
    title: str
    body: str
    engine_score: float
    verified: bool = False
    solved: bool = False
    last_activity: float = 0.0  # seconds since the epoch: the tie-break, newest first


@lru_cache(maxsize=200_000)
def _stem(word: str) -> str:
    return "" if word in STOP_WORDS or len(word) < 2 else porter_stem(word)


def terms(text: str) -> list[str]:
    """Stems of the words that carry meaning, in order."""
    return [stem for stem in map(_stem, _WORD.findall(text.lower())) if stem]


def _counts(text: str) -> Counter:
    return Counter(terms(text))


def _weights(title: str, body: str) -> dict[str, float]:
    """Sublinear term frequency, title words weighted up."""
    weights = {term: 1 + math.log(n) for term, n in _counts(body[:TEXT_CHARS]).items()}
    for term, n in _counts(title).items():
        weights[term] = weights.get(term, 0.0) + TITLE_WEIGHT * (1 + math.log(n))
    return weights


def _unit(weights: dict[str, float], idf: dict[str, float]) -> dict[str, float]:
    vector = {term: weight * idf[term] for term, weight in weights.items()}
    norm = math.sqrt(sum(value * value for value in vector.values())) or 1.0
    return {term: value / norm for term, value in vector.items()}


def _pool_idf(texts: list[dict[str, float]]) -> dict[str, float]:
    frequency = Counter(term for weights in texts for term in weights)
    size = len(texts)
    return {term: math.log((size + 1) / (n + 1)) + 1 for term, n in frequency.items()}


def rerank(title: str, body: str, candidates: Iterable[Candidate], limit: int) -> list[tuple[float, Candidate]]:
    """(score, candidate), best first: cosine plus a little of the engine's score, then verified
    answers and solved threads first at about equal relevance, then the most recent."""
    pool = list(candidates)
    if not pool:
        return []
    question = _weights(title, body)
    texts = [_weights(c.title, c.body) for c in pool]
    idf = _pool_idf([question, *texts])
    wanted = _unit(question, idf)
    best_engine = max(c.engine_score for c in pool) or 1.0
    scored = []
    for candidate, weights in zip(pool, texts):
        vector = _unit(weights, idf)
        cosine = sum(value * vector.get(term, 0.0) for term, value in wanted.items())
        score = (cosine + ENGINE_WEIGHT * candidate.engine_score / best_engine) * ranking_boost(
            candidate.verified, candidate.solved
        )
        scored.append((score, candidate))
    scored.sort(key=lambda entry: (-round(entry[0], 3), -entry[1].last_activity))
    return scored[:limit]
