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

_WORD = re.compile(r"[^\W_]+(?:[._/-][^\W_]+)*")
_PART = re.compile(r"[^\W_]+")
# Error codes and version strings ("0x80070005", "v2.3.1", "err-504", "python3.11") also count
# whole: as parts they are digits any number shares. Words joined without a digit ("node.js",
# "sign-in") count by their parts only, as before.
KEEP_CODES = True


@dataclass(frozen=True)
class Candidate:
    key: object  # the backend's handle on the document (Whoosh docnum, PostgreSQL thread id)
    title: str
    body: str
    engine_score: float
    verified: bool = False
    solved: bool = False
    last_activity: float = 0.0  # seconds since the epoch: the tie-break, newest first
    thread_id: int = 0


@lru_cache(maxsize=200_000)
def _stem(word: str) -> str:
    return "" if word in STOP_WORDS or len(word) < 2 else porter_stem(word)


def terms(text: str) -> list[str]:
    """Stems of the words that carry meaning, in order (a code first whole, then its parts)."""
    found = []
    for word in _WORD.findall(text.lower()):
        if word.isalnum():
            stem = _stem(word)
            if stem:
                found.append(stem)
            continue
        if KEEP_CODES and any(char.isdigit() for char in word):
            found.append(word)
        found.extend(stem for stem in map(_stem, _PART.findall(word)) if stem)
    return found


def _counts(text: str) -> Counter:
    return Counter(terms(text))


def weights(title: str, body: str) -> dict[str, float]:
    """Sublinear term frequency, title words weighted up."""
    found = {term: 1 + math.log(n) for term, n in _counts(body[:TEXT_CHARS]).items()}
    for term, n in _counts(title).items():
        found[term] = found.get(term, 0.0) + TITLE_WEIGHT * (1 + math.log(n))
    return found


def _unit(weights: dict[str, float], idf: dict[str, float]) -> dict[str, float]:
    vector = {term: weight * idf[term] for term, weight in weights.items()}
    norm = math.sqrt(sum(value * value for value in vector.values())) or 1.0
    return {term: value / norm for term, value in vector.items()}


def _pool_idf(texts: list[dict[str, float]]) -> dict[str, float]:
    frequency = Counter(term for weights in texts for term in weights)
    size = len(texts)
    return {term: math.log((size + 1) / (n + 1)) + 1 for term, n in frequency.items()}


@dataclass(frozen=True)
class Features:
    """What the ranking knows of one candidate: cosine of the texts and of the titles alone (IDF
    from the pool), the engine's score as a share of the pool's best, and cosine in the semantic
    layer (0 without one)."""

    candidate: Candidate
    cosine: float
    engine: float
    semantic: float
    title: float = 0.0


@dataclass(frozen=True)
class Blend:
    """How much each feature counts beside the texts' cosine (which counts 1)."""

    engine: float = ENGINE_WEIGHT
    semantic: float = 0.0
    title: float = 0.0


def _sublinear(counts: Counter) -> dict[str, float]:
    return {term: 1 + math.log(n) for term, n in counts.items()}


def _dot(a: dict[str, float], b: dict[str, float]) -> float:
    if len(b) < len(a):
        a, b = b, a
    return sum(value * b.get(term, 0.0) for term, value in a.items())


def features(title: str, body: str, candidates: Iterable[Candidate], semantic=None,
             known: dict | None = None) -> list[Features]:
    """`semantic` is a SemanticModel (community.search.semantic) or None; `known` keeps each
    candidate's weights by thread id across calls (the relevance bench asks about the same
    threads again and again)."""
    pool = list(candidates)
    if not pool:
        return []
    question = weights(title, body)
    if known is None:
        texts = [weights(c.title, c.body) for c in pool]
    else:
        texts = []
        for c in pool:
            if c.thread_id not in known:
                known[c.thread_id] = weights(c.title, c.body)
            texts.append(known[c.thread_id])
    idf = _pool_idf([question, *texts])
    wanted = _unit(question, idf)
    wanted_title = _unit(_sublinear(_counts(title)), idf)
    best_engine = max(c.engine_score for c in pool) or 1.0
    closeness = semantic.similarities(question, texts) if semantic is not None else [0.0] * len(pool)
    found = []
    for candidate, text_weights, near in zip(pool, texts, closeness):
        cosine = _dot(wanted, _unit(text_weights, idf))
        titles = _dot(wanted_title, _unit(_sublinear(_counts(candidate.title)), idf)) if wanted_title else 0.0
        found.append(Features(candidate, cosine, candidate.engine_score / best_engine, float(near), titles))
    return found


def order(found: list[Features], limit: int, blend: Blend = Blend()) -> list[tuple[float, Candidate]]:
    """(score, candidate), best first: the blend, then verified answers and solved threads first
    at about equal relevance, then the most recent."""
    scored = []
    for entry in found:
        value = entry.cosine + blend.engine * entry.engine + blend.semantic * entry.semantic + blend.title * entry.title
        scored.append((value * ranking_boost(entry.candidate.verified, entry.candidate.solved), entry.candidate))
    scored.sort(key=lambda item: (-round(item[0], 3), -item[1].last_activity))
    return scored[:limit]


def rerank(title: str, body: str, candidates: Iterable[Candidate], limit: int,
           semantic=None) -> list[tuple[float, Candidate]]:
    """(score, candidate), best first: cosine plus a little of the engine's score (and of the
    semantic layer's cosine when there is one), then verified answers and solved threads first at
    about equal relevance, then the most recent."""
    found = features(title, body, candidates, semantic)
    return order(found, limit, CHOSEN if semantic is not None else WITHOUT_LAYER)


# The blends in use, with and without a semantic layer, as `make bench-relevance` chose them on
# both meta.stackexchange folds (each fold's own choice, scored on the other, is in its table).
WITHOUT_LAYER = Blend()
CHOSEN = Blend(engine=0.35, semantic=1.0)
