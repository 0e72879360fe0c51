"""Markdown (CommonMark via markdown-it-py) to sanitized HTML. Every caller renders through here.

Mentions: `@name` becomes a link only for names the caller says exist (`mentions` maps a
lower-cased name to its profile URL), so the content layer never touches the database.
"""
from __future__ import annotations

import functools
import re
from typing import Callable, Iterable, Mapping

from markdown_it import MarkdownIt
from markdown_it.rules_inline import StateInline

from .attachment_refs import AttachmentRef, attachment_rule
from .sanitize import sanitize_html

# Usernames: letters, digits, underscore, dot and dash; a trailing dot/dash is punctuation.
MENTION_RE = re.compile(r"@([A-Za-z0-9_](?:[A-Za-z0-9_.-]{0,38}[A-Za-z0-9_])?)")
_WORD_BEFORE = re.compile(r"[A-Za-z0-9_.\-/]")

MentionResolver = Callable[[set[str]], Mapping[str, str]]


def _mention_rule(state: StateInline, silent: bool) -> bool:
    if state.src[state.pos] != "@" or state.linkLevel > 0:
        return False
    # "me@example.com" and "a/@b" are not mentions.
    if state.pos > 0 and _WORD_BEFORE.match(state.src[state.pos - 1]):
        return False
    match = MENTION_RE.match(state.src, state.pos)
    known: Mapping[str, str] = state.env.get("mentions") or {}
    if not match or match.group(1).lower() not in known:
        return False
    if not silent:
        name = match.group(1)
        link = state.push("link_open", "a", 1)
        link.attrs = {"href": known[name.lower()], "class": "mention"}
        text = state.push("text", "", 0)
        text.content = "@" + name
        state.push("link_close", "a", -1)
    state.pos = match.end()
    return True


def _build_parser() -> MarkdownIt:
    parser = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table").enable("strikethrough")
    parser.inline.ruler.before("emphasis", "mention", _mention_rule)
    parser.inline.add_terminator_char("@")
    parser.core.ruler.push("attachments", attachment_rule)
    return parser


_md = _build_parser()


def mention_candidates(text: str) -> set[str]:
    """Every `@name` in the text (a superset: code spans included), lower-cased, for one lookup."""
    return {match.group(1).lower() for match in MENTION_RE.finditer(text or "")}


def rendered_mentions(text: str, resolve: MentionResolver) -> set[str]:
    """The lower-cased names the rendered text links as mentions: known names outside code."""
    candidates = mention_candidates(text)
    known = resolve(candidates) if candidates else {}
    if not known:
        return set()
    names = set()
    for block in _md.parse(text or "", {"mentions": dict(known)}):
        for token in block.children or []:
            if token.type == "link_open" and token.attrs.get("class") == "mention":
                names.add(str(token.attrs["href"]))
    return {name for name, url in known.items() if url in names}


def render_markdown(
    text: str, mentions: Mapping[str, str] | None = None, attachments: Mapping[int, AttachmentRef] | None = None,
) -> str:
    env = {"mentions": dict(mentions or {}), "attachments": dict(attachments or {})}
    return sanitize_html(_md.render(text or "", env))


@functools.lru_cache(maxsize=2048)
def render_short_markdown(text: str) -> str:
    """render_markdown without mentions, remembered per text: for short admin-written texts shown on
    every listing (category descriptions), so a page render costs a dict lookup per text."""
    return render_markdown(text)


def render_with_mentions(
    text: str, resolve: MentionResolver | None, attachments: Mapping[int, AttachmentRef] | None = None,
) -> str:
    """Render, linking the mentions `resolve` knows (it gets the candidate names, returns name → URL)
    and showing the attachments given by id."""
    candidates = mention_candidates(text)
    known = resolve(candidates) if resolve and candidates else {}
    return render_markdown(text, known, attachments)


__all__: Iterable[str] = [
    "MENTION_RE", "mention_candidates", "render_markdown", "render_short_markdown", "render_with_mentions",
    "rendered_mentions",
]
