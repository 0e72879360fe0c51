"""Markdown rendering and sanitizing: code classes, link rel, mentions, no raw HTML, XSS vectors."""
import json
import re
from html.parser import HTMLParser

import pytest

from community.content.markdown import mention_candidates, render_markdown, render_with_mentions
from community.content.sanitize import sanitize_html
from tests.conftest import shared_data


def _known(*names):
    return lambda candidates: {n: f"/u/{n}" for n in candidates if n in names}


def test_fenced_code_keeps_its_language_class():
    html = render_markdown("```python\nprint('hi')\n```")
    assert '<code class="language-python">' in html


def test_code_class_that_is_not_a_language_is_dropped():
    assert 'class="' not in sanitize_html('<code class="button danger">x</code><a class="nav" href="https://x.io">y</a>')


def test_links_get_nofollow_ugc_noopener():
    html = render_markdown("[docs](https://example.com/docs) and https://example.org")
    assert html.count('rel="nofollow ugc noopener"') == 2


def test_raw_html_is_shown_as_text_not_markup():
    html = render_markdown("<b>bold</b> <script>alert(1)</script> <img src=x onerror=alert(1)>")
    assert "<b>" not in html and "<script" not in html and "<img" not in html
    assert "&lt;b&gt;" in html


def test_javascript_and_data_links_lose_their_href():
    html = render_markdown("[a](javascript:alert(1)) [b](data:text/html,<script>x</script>) ![c](javascript:x)")
    assert 'href="javascript' not in html and 'href="data' not in html and 'src="javascript' not in html


def test_mentions_link_existing_users_only():
    html = render_with_mentions("Thanks @Alice and @ghost!", _known("alice"))
    assert '<a href="/u/alice" class="mention" rel="nofollow ugc noopener">@Alice</a>' in html
    assert "@ghost" in html and "/u/ghost" not in html


@pytest.mark.parametrize(
    "text",
    ["`@alice`", "```\n@alice\n```", "    @alice indented code", "mail me@alice.com", "[@alice](https://x.io)"],
)
def test_mentions_are_not_linked_inside_code_emails_or_links(text):
    assert "/u/alice" not in render_with_mentions(text, _known("alice"))


def test_mention_candidates_are_lower_cased_and_skip_trailing_punctuation():
    assert mention_candidates("hi @Bob. and @carol-") == {"bob", "carol"}


def _xss_vectors():
    path = shared_data("xss/xss_vectors.jsonl")
    return [json.loads(line)["vector"] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


class _MarkupAudit(HTMLParser):
    """Collects real tags and attributes (not text that merely looks like markup)."""

    DANGEROUS_TAGS = {"script", "iframe", "object", "embed", "base", "meta", "style", "link", "form", "svg", "math"}
    URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in self.DANGEROUS_TAGS:
            self.problems.append(f"<{tag}>")
        for name, value in attrs:
            url = re.sub(r"[\x00-\x20]", "", value or "").lower()
            if name.startswith("on") or name == "style":
                self.problems.append(f"{tag}[{name}]")
            elif name in self.URL_ATTRIBUTES and url.startswith(("javascript:", "vbscript:", "data:")):
                self.problems.append(f"{tag}[{name}={value}]")


def markup_problems(html: str) -> list[str]:
    audit = _MarkupAudit()
    audit.feed(html)
    audit.close()
    return audit.problems


def test_every_xss_vector_renders_without_dangerous_markup():
    vectors = _xss_vectors()
    assert len(vectors) > 2000
    failures = []
    for vector in vectors:
        for html in (render_markdown(vector), sanitize_html(vector)):
            if markup_problems(html):
                failures.append((vector, html, markup_problems(html)))
    assert failures == []


def test_markup_audit_catches_what_it_should():
    assert markup_problems('<a href=" javascript:x">a</a><img src=x onerror=y><script></script>') == [
        "a[href= javascript:x]", "img[onerror]", "<script>",
    ]
    assert markup_problems("<p>&lt;script src=javascript:alert(1)&gt;</p>") == []


def test_code_shows_angle_brackets_and_ampersands_once_escaped():
    from community.content.markdown import render_markdown

    html = render_markdown("Use `<script>` and `a & b`\n\n```\nif a < b && c > d:\n```")
    assert "<code>&lt;script&gt;</code>" in html and "<code>a &amp; b</code>" in html
    assert "if a &lt; b &amp;&amp; c &gt; d:" in html
    assert "&amp;lt;" not in html and "&amp;amp;" not in html
