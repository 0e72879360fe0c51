"""X's weighted post length (twitter-text v3 rules), shared by the client and the fake server.

Code points in the light ranges weigh 1, everything else 2; every URL weighs 23 whatever its length
(X rewrites it to a t.co link); an emoji sequence (skin tone, ZWJ family, flag) weighs 2 as a whole,
as twitter-text does with emoji parsing on. Text is NFC-normalised first, as X does.
"""
from __future__ import annotations

import re
import unicodedata

MAX_WEIGHTED_LENGTH = 280
URL_WEIGHT = 23
LIGHT_RANGES = ((0, 4351), (8192, 8205), (8208, 8223), (8242, 8247))

# Common TLDs for bare domains ("example.com/help"); twitter-text knows all of them, we need the usual.
_TLDS = "com|net|org|io|co|ly|me|dev|app|info|biz|us|uk|de|fr|jp|ai|gg|tv|xyz|edu|gov"
URL_PATTERN = re.compile(
    rf"(?:https?://[^\s]+|\b(?:[a-z0-9-]+\.)+(?:{_TLDS})\b(?:/[^\s]*)?)", re.IGNORECASE)

_ZWJ = 0x200D
_EMOJI_MODIFIERS = range(0x1F3FB, 0x1F400)
_VARIATION_SELECTORS = range(0xFE00, 0xFE10)
_REGIONAL_INDICATORS = range(0x1F1E6, 0x1F200)


def _is_light(code_point: int) -> bool:
    return any(low <= code_point <= high for low, high in LIGHT_RANGES)


def _is_emoji_start(code_point: int) -> bool:
    return code_point >= 0x1F000 or 0x2600 <= code_point <= 0x27BF


def _text_weight(text: str) -> int:
    weight, index = 0, 0
    code_points = [ord(ch) for ch in text]
    while index < len(code_points):
        current = code_points[index]
        index += 1
        if _is_emoji_start(current):
            index = _skip_emoji_tail(code_points, index, current)
            weight += 2
        else:
            weight += 1 if _is_light(current) else 2
    return weight


def _skip_emoji_tail(code_points: list[int], index: int, first: int) -> int:
    """Advance past modifiers, variation selectors, ZWJ-joined parts and the flag's second half."""
    if first in _REGIONAL_INDICATORS and index < len(code_points) and code_points[index] in _REGIONAL_INDICATORS:
        return index + 1
    while index < len(code_points):
        current = code_points[index]
        if current in _EMOJI_MODIFIERS or current in _VARIATION_SELECTORS:
            index += 1
        elif current == _ZWJ and index + 1 < len(code_points):
            index += 2
        else:
            break
    return index


def weighted_length(text: str) -> int:
    text = unicodedata.normalize("NFC", text)
    total, last_end = 0, 0
    for match in URL_PATTERN.finditer(text):
        total += _text_weight(text[last_end:match.start()]) + URL_WEIGHT
        last_end = match.end()
    return total + _text_weight(text[last_end:])


def is_too_long(text: str) -> bool:
    return weighted_length(text) > MAX_WEIGHTED_LENGTH
