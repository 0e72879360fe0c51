"""A faster word_values for the stemmed text fields of the Whoosh index.

Whoosh analyses text through a chain of generators that pass one Token object per word; for
long thread bodies that chain costs about as much as writing the postings. `FastPositions`
produces exactly what `StemmingAnalyzer()` + `formats.Positions` would (same words, same
positions, so phrase queries parsed with the same analyzer still match) in one loop with cached
stems. Any other analyzer falls back to Whoosh's own code.
"""
from __future__ import annotations

import re
from pickle import dumps

from whoosh import analysis, formats
from whoosh.system import pack_uint
from whoosh.lang.porter import stem as porter_stem

STOP_WORDS = analysis.STOP_WORDS
MIN_SIZE = 2


# default_pattern without its capturing group, so findall() returns whole words.
_WORDS = re.compile(r"[\w\*]+(?:\.?[\w\*]+)*", re.UNICODE)
# word as written -> its stem, or "" when the filters drop it. One lookup per word instead of
# lower(), a length test, a stop-word test and a cached stem call.
_STEMS: dict[str, str] = {}
_STEMS_MAX = 500_000


def _stem_of(word: str) -> str:
    lowered = word.lower()
    stem = "" if len(lowered) < MIN_SIZE or lowered in STOP_WORDS else porter_stem(lowered)
    if len(_STEMS) >= _STEMS_MAX:
        _STEMS.clear()
    _STEMS[word] = stem
    return stem


def stemmed_positions(value: str) -> dict[str, list[int]]:
    """word -> positions, as RegexTokenizer | LowercaseFilter | StopFilter | StemFilter gives them.

    StopFilter renumbers: the first kept word keeps its own position, the next ones count up
    by one from it.
    """
    poses: dict[str, list[int]] = {}
    stems = _STEMS
    pos = None
    for index, word in enumerate(_WORDS.findall(value)):
        stem = stems.get(word)
        if stem is None:
            stem = _stem_of(word)
        if not stem:
            continue
        pos = index if pos is None else pos + 1
        found = poses.get(stem)
        if found is None:
            poses[stem] = [pos]
        else:
            found.append(pos)
    return poses


def is_default_stemming(analyzer) -> bool:
    return analyzer == analysis.StemmingAnalyzer()


_ONE_POSITION: dict[int, bytes] = {}


def encode_positions(poslist: list[int]) -> bytes:
    """formats.Positions.encode, with the common single-position lists cached."""
    if len(poslist) == 1:
        pos = poslist[0]
        encoded = _ONE_POSITION.get(pos)
        if encoded is None:
            encoded = _ONE_POSITION[pos] = pack_uint(1) + dumps([pos], 2)
        return encoded
    deltas = [pos - before for before, pos in zip([0] + poslist, poslist)]
    return pack_uint(len(deltas)) + dumps(deltas, 2)


class FastPositions(formats.Positions):
    def word_values(self, value, analyzer, **kwargs):
        if not isinstance(value, str) or kwargs.get("mode") not in (None, "index") or not _plain(analyzer):
            yield from super().word_values(value, analyzer, **kwargs)
            return
        boost = self.field_boost
        for word, poslist in stemmed_positions(value).items():
            yield (word, len(poslist), len(poslist) * boost, encode_positions(poslist))

    def index_postings(self, value, analyzer) -> list[tuple[bytes, int, float, bytes]] | None:
        """What Field.index() gives for value, without its generator layers; None when this
        format's shortcut does not apply (the caller then uses Field.index())."""
        if not isinstance(value, str) or not _plain(analyzer):
            return None
        boost = self.field_boost
        return [
            (word.encode("utf-8"), len(poslist), len(poslist) * boost, encode_positions(poslist))
            for word, poslist in stemmed_positions(value).items()
        ]


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
