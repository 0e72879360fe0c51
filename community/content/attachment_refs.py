"""`![alt](attachment:12)` and `[name](attachment:12)` in Markdown: an inline image or a file card.

The caller passes what it knows of the attachments the text may show (`AttachmentRef` by id; the
attachments domain builds them), so the content layer never touches the database. An id the
caller did not pass (someone else's upload, a removed file) renders as plain text. The HTML made
here goes through sanitize.py like everything else.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Mapping

from markdown_it.rules_core import StateCore
from markdown_it.token import Token
from markupsafe import escape

REFERENCE_RE = re.compile(r"attachment:(\d{1,12})")
# Every reference in a text (a superset: code spans included), for one lookup before rendering.
REFERENCES_IN_TEXT_RE = re.compile(r"\]\(\s*attachment:(\d{1,12})\s*\)")


@dataclass(frozen=True)
class AttachmentRef:
    id: int
    url: str
    name: str
    size_label: str
    type_label: str
    is_image: bool
    thumbnail_url: str | None = None
    thumbnail_width: int | None = None
    thumbnail_height: int | None = None


def referenced_ids(text: str) -> list[int]:
    """The attachment ids a text references, in order of first appearance."""
    seen: dict[int, None] = {}
    for match in REFERENCES_IN_TEXT_RE.finditer(text or ""):
        seen.setdefault(int(match.group(1)), None)
    return list(seen)


def image_html(ref: AttachmentRef, alt: str) -> str:
    size = ""
    if ref.thumbnail_width and ref.thumbnail_height:
        size = f' width="{ref.thumbnail_width}" height="{ref.thumbnail_height}"'
    label = alt.strip() or ref.name
    return (
        f'<a class="attachment-image" href="{escape(ref.url)}" title="{escape(ref.name)}">'
        f'<img src="{escape(ref.thumbnail_url or ref.url)}" alt="{escape(label)}"{size}></a>'
    )


def card_html(ref: AttachmentRef) -> str:
    return (
        f'<a class="attachment-card" href="{escape(ref.url)}">'
        f'<span class="attachment-name">{escape(ref.name)}</span> '
        f'<span class="attachment-meta">{escape(ref.size_label)}, {escape(ref.type_label)}</span></a>'
    )


def missing_html(label: str) -> str:
    text = f"{label.strip()} (attachment not available)" if label.strip() else "(attachment not available)"
    return f'<span class="attachment-missing">{escape(text)}</span>'


def _html(content: str) -> Token:
    token = Token("html_inline", "", 0)
    token.content = content
    return token


def _text_of(tokens: list[Token]) -> str:
    return "".join(token.content for token in tokens if token.type in ("text", "code_inline"))


def _ref_for(value: str, known: Mapping[int, AttachmentRef]) -> tuple[bool, AttachmentRef | None]:
    match = REFERENCE_RE.fullmatch(value or "")
    if not match:
        return False, None
    return True, known.get(int(match.group(1)))


def _rewrite(children: list[Token], known: Mapping[int, AttachmentRef]) -> list[Token]:
    out: list[Token] = []
    index = 0
    while index < len(children):
        token = children[index]
        if token.type == "image":
            is_ref, ref = _ref_for(str(token.attrs.get("src", "")), known)
            if is_ref:
                alt = _text_of(token.children or [])
                out.append(_html(missing_html(alt) if ref is None else image_html(ref, alt) if ref.is_image else card_html(ref)))
                index += 1
                continue
        if token.type == "link_open":
            is_ref, ref = _ref_for(str(token.attrs.get("href", "")), known)
            if is_ref:
                close, depth = index + 1, 1
                while close < len(children):
                    depth += {"link_open": 1, "link_close": -1}.get(children[close].type, 0)
                    if depth == 0:
                        break
                    close += 1
                label = _text_of(children[index + 1:close])
                out.append(_html(missing_html(label) if ref is None else card_html(ref)))
                index = close + 1
                continue
        out.append(token)
        index += 1
    return out


def attachment_rule(state: StateCore) -> None:
    """Core rule (after inline parsing): replace attachment references by their HTML."""
    known: Mapping[int, AttachmentRef] = state.env.get("attachments") or {}
    for block in state.tokens:
        if block.type == "inline" and block.children:
            if any(child.type in ("image", "link_open") for child in block.children):
                block.children = _rewrite(block.children, known)
