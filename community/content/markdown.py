"""Markdown (CommonMark via markdown-it-py) to sanitized HTML. Every caller renders through here."""
from __future__ import annotations

from markdown_it import MarkdownIt

from .sanitize import sanitize_html

_md = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table").enable("strikethrough")


def render_markdown(text: str) -> str:
    return sanitize_html(_md.render(text or ""))
