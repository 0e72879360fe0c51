"""The only module that imports bleach: every HTML sanitizer call in Parley goes through here,
so replacing bleach (deprecated upstream) is a one-file change."""
from __future__ import annotations

import bleach

ALLOWED_TAGS = frozenset(
    {
        "a", "abbr", "b", "blockquote", "br", "code", "del", "details", "div", "em", "h1", "h2", "h3",
        "h4", "h5", "h6", "hr", "i", "img", "kbd", "li", "ol", "p", "pre", "s", "span", "strong",
        "sub", "summary", "sup", "table", "tbody", "td", "th", "thead", "tr", "ul",
    }
)
ALLOWED_ATTRIBUTES = {
    "a": ["href", "title", "rel", "class"],
    "abbr": ["title"],
    "code": ["class"],
    "div": ["class"],
    "img": ["src", "alt", "title", "width", "height"],
    "pre": ["class"],
    "span": ["class"],
    "td": ["align"],
    "th": ["align"],
}
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
    return bleach.linkify(cleaned, callbacks=[_set_link_rel], skip_tags={"pre", "code"}, parse_email=False)


def strip_tags(html: str) -> str:
    """Plain text of some HTML (for excerpts and search documents)."""
    return bleach.clean(html, tags=set(), strip=True, strip_comments=True)
