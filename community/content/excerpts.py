"""Plain-text excerpts of rendered posts, for cards, widgets and the solution summary."""
from __future__ import annotations

from html import unescape

from .sanitize import strip_tags


def plain_excerpt(html: str, limit: int) -> str:
    """Plain text (not HTML) of a post's start, cut at a word near `limit` characters. strip_tags keeps
    entities (&quot; &gt; &amp;), so they are decoded here once; whoever shows it escapes it once."""
    text = " ".join(unescape(strip_tags(html or "")).split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    # Back up to the last space when there is one in the last fifth: no half words.
    space = cut.rfind(" ")
    if space > limit * 0.8:
        cut = cut[:space]
    return cut.rstrip(" ,;:") + "…"
