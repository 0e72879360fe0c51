"""The community's URLs as widgets and oEmbed answers show them.

The widget services fill these in; the edge (widgets/urls.py, from the routes) builds them, so no
service needs a request or `url_for`.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable


@dataclass(frozen=True)
class WidgetLinks:
    """Paths a widget links to (relative: the embed script resolves them against the community)."""

    community: str
    search: str
    ask: str
    thread: Callable[[int, str], str]  # (thread id, slug) -> the thread's page
    search_for: Callable[[str], str]  # query -> its results page


@dataclass(frozen=True)
class OembedLinks:
    """Absolute URLs an oEmbed answer and a thread card carry."""

    community: str
    thread: Callable[[int, str], str]  # (thread id, slug) -> the thread's page
    card: Callable[[int], str]  # thread id -> its embeddable card
    oembed: Callable[[str], str]  # a page URL -> its oEmbed JSON
