"""Whoosh backend: the words behind as-you-type completion and spelling correction, read from the
index's term lists."""
from __future__ import annotations

import itertools
import re

# As-you-type: the last word stands for itself and its COMPLETIONS most frequent completions, found
# among the first COMPLETION_SCAN indexed words it begins (per spelling field).
COMPLETIONS = 4
COMPLETION_SCAN = 2000


def completions(reader, fields: list[str], begun: str) -> list[str]:
    """The COMPLETIONS words of `fields` that begin with `begun`, most frequent first (among the
    first COMPLETION_SCAN of each field)."""
    counts: dict[str, int] = {}
    for field in fields:
        for term in itertools.islice(reader.expand_prefix(field, begun), COMPLETION_SCAN):
            word = term.decode() if isinstance(term, bytes) else term
            counts[word] = counts.get(word, 0) + reader.doc_frequency(field, word)
    ranked = [word for word, _n in sorted(counts.items(), key=lambda e: -e[1]) if word != begun]
    return [word for word in ranked if re.fullmatch(r"[^\W_]+", word)][:COMPLETIONS]


def best_correction(reader, spell_fields: list[str], word: str) -> str:
    if len(word) < 3 or any(reader.doc_frequency(f, word) for f in spell_fields):
        return word
    candidates: dict[str, int] = {}
    for field in spell_fields:
        for maxdist in (1, 2):
            for term in reader.terms_within(field, word, maxdist, prefix=1):
                candidates[term] = candidates.get(term, 0) + reader.doc_frequency(field, term)
            if candidates:
                break
    if not candidates:
        return word
    return max(candidates.items(), key=lambda item: (-_distance_rank(word, item[0]), item[1]))[0]


def _distance_rank(word: str, other: str) -> int:
    from whoosh.support.levenshtein import distance

    return distance(word, other)
