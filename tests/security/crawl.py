"""A marked community walked as every role: which templates print which marked field, and whether
any of them prints one unescaped.

Jinja's `finalize` hook sees every `{{ ... }}` value just before it is escaped, with the name of
the template (or macro file, or include) printing it: a value holding a raw marker that arrives as
Markup (`|safe`, `Markup(...)`) is a leak. Every HTML, XML and email body is also searched for a raw
marker, which catches markup assembled in Python.
"""
from __future__ import annotations

import re
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from urllib.parse import unquote, urljoin, urlsplit

from jinja2 import pass_context
from markupsafe import Markup
from werkzeug.exceptions import HTTPException

from tests.security.markers import ESCAPED_MARKER, MARKER

HREF = re.compile(r"""(?:href|action|src)=["']([^"'#]+)""")
SKIPPED_ENDPOINTS = {"auth.sign_out", "static", "account.avatar", "account.initials_avatar", "brand.logo"}
MAX_PER_ENDPOINT = 3


@dataclass
class Observations:
    printed: dict[str, set[int]] = field(default_factory=lambda: defaultdict(set))  # template -> markers
    leaks: list[str] = field(default_factory=list)
    reached: set[str] = field(default_factory=set)
    pages: int = 0


def install_spy(app, seen: Observations) -> None:
    """Record every printed value, by template, before the templates are compiled."""

    @pass_context
    def finalize(context, value):
        # The compiled template whose code prints the value (a block of base.html, a macro file,
        # an include), not the page template the context belongs to.
        name = sys._getframe(1).f_globals.get("name") or context.name or "<string>"
        seen.reached.add(name)
        if isinstance(value, str):
            for index in ESCAPED_MARKER.findall(value) + MARKER.findall(value):
                seen.printed[name].add(int(index))
            if isinstance(value, Markup) and MARKER.search(value):
                seen.leaks.append(f"{name}: prints Markup holding a raw marker: {value[:120]!r}")
        return value

    app.jinja_env.finalize = finalize
    if app.jinja_env.cache is not None:
        app.jinja_env.cache.clear()


def check_body(where: str, body: str, seen: Observations) -> None:
    for match in MARKER.finditer(body):
        seen.leaks.append(f"{where}: raw marker <mk{match.group(1)}> in the output: "
                          f"{body[max(0, match.start() - 80):match.end()]!r}")


def walk(app, client, starts: list[str], seen: Observations, max_pages: int = 400) -> None:
    """Breadth-first over same-site GET links from `starts`, a few URLs per endpoint."""
    adapter = app.url_map.bind("localhost")
    per_endpoint: dict[str, int] = defaultdict(int)
    queue, queued = list(starts), set(starts)
    pages = 0
    while queue and pages < max_pages:
        url = queue.pop(0)
        endpoint = _endpoint(adapter, url)
        if endpoint is None or endpoint in SKIPPED_ENDPOINTS or per_endpoint[endpoint] >= MAX_PER_ENDPOINT:
            continue
        per_endpoint[endpoint] += 1
        response = client.get(url, headers={"Accept": "text/html,*/*"})
        seen.pages += 1
        pages += 1
        kind = response.mimetype or ""
        if not any(part in kind for part in ("html", "xml")):
            continue
        body = response.get_data(as_text=True)
        check_body(url, body, seen)
        for link in HREF.findall(body):
            target = _same_site(urljoin(url, link.replace("&amp;", "&")))
            if target and target not in queued:
                queued.add(target)
                queue.append(target)


def _endpoint(adapter, url: str) -> str | None:
    try:
        endpoint, _ = adapter.match(unquote(urlsplit(url).path), method="GET")
    except HTTPException:
        return None
    return endpoint


def _same_site(url: str) -> str | None:
    parts = urlsplit(url)
    if parts.scheme not in ("", "http") or parts.netloc not in ("", "localhost"):
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")
