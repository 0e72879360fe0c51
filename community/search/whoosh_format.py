"""A faster word_values for the stemmed text fields of the Whoosh index.

Whoosh analyses text through a chain of generators that pass one Token object per word; for
long thread bodies that chain costs about as much as writing the postings. `FastPositions`
produces exactly what `StemmingAnalyzer()` + `formats.Positions` would (same words, same
positions, so phrase queries parsed with the same analyzer still match) in one loop with cached
stems. Any other analyzer falls back to Whoosh's own code.
"""
from __future__ import annotations

from collections import defaultdict
from functools import lru_cache

from whoosh import analysis, formats
from whoosh.analysis.tokenizers import default_pattern
from whoosh.lang.porter import stem as porter_stem

STOP_WORDS = analysis.STOP_WORDS
MIN_SIZE = 2


@lru_cache(maxsize=300_000)
def _stem(word: str) -> str:
    return porter_stem(word)


def stemmed_positions(value: str) -> dict[str, list[int]]:
    """word -> positions, as RegexTokenizer | LowercaseFilter | StopFilter | StemFilter gives them.

    StopFilter renumbers: the first kept word keeps its own position, the next ones count up
    by one from it.
    """
    poses: dict[str, list[int]] = defaultdict(list)
    pos = None
    for index, match in enumerate(default_pattern.finditer(value)):
        word = match.group(0).lower()
        if len(word) < MIN_SIZE or word in STOP_WORDS:
            continue
        pos = index if pos is None else pos + 1
        poses[_stem(word)].append(pos)
    return poses


def is_default_stemming(analyzer) -> bool:
    return analyzer == analysis.StemmingAnalyzer()


class FastPositions(formats.Positions):
    def word_values(self, value, analyzer, **kwargs):
        if not isinstance(value, str) or kwargs.get("mode") not in (None, "index") or not _plain(analyzer):
            yield from super().word_values(value, analyzer, **kwargs)
            return
        boost = self.field_boost
        encode = self.encode
        for word, poslist in stemmed_positions(value).items():
            yield (word, len(poslist), len(poslist) * boost, encode(poslist))


# Keyed by id, holding the analyzer too so the id cannot be reused while the entry lives.
_PLAIN: dict[int, tuple[object, bool]] = {}


def _plain(analyzer) -> bool:
    key = id(analyzer)
    if key not in _PLAIN:
        _PLAIN[key] = (analyzer, is_default_stemming(analyzer))
    return _PLAIN[key][1]


def stemmed_text(**options):
    """A TEXT field with the default stemming analyzer, indexed through FastPositions."""
    from whoosh import fields

    field = fields.TEXT(analyzer=analysis.StemmingAnalyzer(), **options)
    field.format = FastPositions(field_boost=field.format.field_boost)
    return field
