"""The widget JSON fast path: a WSGI layer in front of Flask for /embed/w/<id>.json.

Brand sites load the widget JSON on every page view, so a warm request must cost next to
nothing: here it skips the request context, session, login, rate-limit and after_request hooks
and answers straight from the widget cache with headers computed once per entry and origin.
It answers only what it can answer exactly like the Flask route (widgets/embed_views.py): a cached, live
widget asked for with GET, a short query string and no Origin or an allowed one (200, or 304 for
a matching If-None-Match). Everything else (cache misses, unknown or disabled widgets, refused
origins, OPTIONS, bad query strings) falls through to Flask, which builds the entry or the error.
"""
from __future__ import annotations

import logging
import re
from typing import Any, Callable, Iterable

from werkzeug.http import parse_etags

from ..logs import request_id_for
from . import cache as widget_cache
from .service import origin_allowed
from ..web.security import CONTENT_SECURITY_POLICY

log = logging.getLogger(__name__)

_PATH = re.compile(r"/embed/w/([0-9]{1,9})\.json")
MAX_QUERY_STRING = 1024  # as widgets/embed_views.py; longer ones get the route's JSON error
MAX_HEADER_SETS = 4096

_STATIC_HEADERS = [
    ("Cache-Control", "public, no-cache"),
    ("Vary", "Origin"),
    ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "strict-origin-when-cross-origin"),
    ("X-Frame-Options", "DENY"),
]


class WidgetJsonFastPath:
    def __init__(self, app, wsgi_app: Callable) -> None:
        self.app, self.wsgi_app = app, wsgi_app
        # (etag, origin) -> (body, headers for 200, headers for 304)
        self._prepared: dict[tuple[str, str | None], tuple[bytes, list, list]] = {}

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD") == "GET" and len(environ.get("QUERY_STRING", "")) <= MAX_QUERY_STRING:
            match = _PATH.fullmatch(environ.get("PATH_INFO", ""))
            if match is not None:
                answer = self._answer(int(match.group(1)), environ)
                if answer is not None:
                    status, headers, body = answer
                    start_response(status, [*headers, ("X-Request-ID", request_id_for(environ.get("HTTP_X_REQUEST_ID", "")))])
                    return [body]
        return self.wsgi_app(environ, start_response)

    def _answer(self, widget_id: int, environ: dict) -> tuple[str, list, bytes] | None:
        try:
            entry = widget_cache.peek_entry(self.app, widget_id)
        except Exception:  # Redis trouble: the Flask route degrades the way it knows
            log.warning("widget fast path could not read the cache", exc_info=True)
            return None
        if not entry or not entry.get("found"):
            return None
        origin = environ.get("HTTP_ORIGIN")
        if origin is not None and not origin_allowed(entry["origins"], origin):
            return None
        body, ok_headers, not_modified_headers = self._prepare(entry, origin)
        if_none_match = environ.get("HTTP_IF_NONE_MATCH")
        if if_none_match and parse_etags(if_none_match).contains_weak(entry["etag"]):
            return "304 NOT MODIFIED", not_modified_headers, b""
        return "200 OK", ok_headers, body

    def _prepare(self, entry: dict[str, Any], origin: str | None) -> tuple[bytes, list, list]:
        key = (entry["etag"], origin)
        prepared = self._prepared.get(key)
        if prepared is None:
            body = entry["body"].encode()
            common = [("ETag", f'"{entry["etag"]}"'), *_STATIC_HEADERS]
            if origin:
                common += [
                    ("Access-Control-Allow-Origin", origin), ("Access-Control-Allow-Methods", "GET, OPTIONS"),
                    ("Access-Control-Allow-Headers", "Content-Type"), ("Access-Control-Max-Age", "600"),
                ]
            ok = [("Content-Type", "application/json"), ("Content-Length", str(len(body))), *common]
            if len(self._prepared) >= MAX_HEADER_SETS:
                self._prepared.clear()
            prepared = self._prepared[key] = (body, ok, common)
        return prepared
