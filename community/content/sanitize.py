"""The only module that imports bleach: every HTML sanitizer call in Parley goes through here,
so replacing bleach (deprecated upstream) is a one-file change."""
from __future__ import annotations

import re

import bleach

ALLOWED_TAGS = frozenset(
    {
        "a", "abbr", "b", "blockquote", "br", "code", "del", "details", "div", "em", "h1", "h2", "h3",
        "h4", "h5", "h6", "hr", "i", "img", "kbd", "li", "ol", "p", "pre", "s", "span", "strong",
        "sub", "summary", "sup", "table", "tbody", "td", "th", "thead", "tr", "ul",
    }
)
# Classes are the only styling hooks user content gets, and only these: a code block's language
# (```python) and a mention link. Anything else could borrow the site's own UI classes.
_CODE_CLASS = re.compile(r"language-[A-Za-z0-9_+#.-]{1,40}")
# Attachment references (content/attachment_refs.py) add an image link, a file card and its parts.
_CLASS_ALLOWED = {
    "a": re.compile(r"mention|attachment-image|attachment-card"), "code": _CODE_CLASS, "pre": _CODE_CLASS,
    "span": re.compile(r"attachment-name|attachment-meta|attachment-missing"),
}
_PLAIN_ATTRIBUTES = {
    "a": {"href", "title", "rel"},
    "abbr": {"title"},
    "img": {"src", "alt", "title", "width", "height"},
    "td": {"align"},
    "th": {"align"},
}


def _allowed_attribute(tag: str, name: str, value: str) -> bool:
    if name == "class":
        pattern = _CLASS_ALLOWED.get(tag)
        return bool(pattern and pattern.fullmatch(value))
    return name in _PLAIN_ATTRIBUTES.get(tag, ())


ALLOWED_ATTRIBUTES = {tag: _allowed_attribute for tag in set(_PLAIN_ATTRIBUTES) | set(_CLASS_ALLOWED)}
ALLOWED_PROTOCOLS = frozenset({"http", "https", "mailto"})
LINK_REL = "nofollow ugc noopener"


def _set_link_rel(attrs, new=False):
    attrs[(None, "rel")] = LINK_REL
    return attrs


def sanitize_html(html: str) -> str:
    """Strip everything not on the allowlist and force rel on every link."""
    cleaned = bleach.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        protocols=ALLOWED_PROTOCOLS,
        strip=True,
        strip_comments=True,
    )
    # No skip_tags: bleach 6 escapes the text of skipped tags a second time, so `a < b` in code
    # read "a &lt; b". A bare URL inside code becomes a link, which is the lesser evil.
    return bleach.linkify(cleaned, callbacks=[_set_link_rel], parse_email=False)


def strip_tags(html: str) -> str:
    """Plain text of some HTML (for excerpts and search documents)."""
    return bleach.clean(html, tags=set(), strip=True, strip_comments=True)
