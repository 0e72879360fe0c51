"""Public embed routes: the loader script, widget JSON (CORS for allowed origins only), live search,
analytics beacons, the iframe mode, oEmbed and the embeddable thread card.

None of these routes reads or writes the session: widgets show public content only, whoever's
browser loads them, so there is nothing a cookie could unlock.
"""
from __future__ import annotations

import json
import re
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, make_response, request, send_from_directory
from flask.sessions import SecureCookieSessionInterface

from ..errors import NotFound, ServiceError, ValidationFailed
from ..extensions import csrf, limiter
from . import oembed as oembed_service
from . import events as widget_events
from . import service as widget_service
from .urls import oembed_links, widget_links

bp = Blueprint("embed", __name__)
csrf.exempt(bp)
COOKIELESS_PREFIXES = ("/embed.js", "/embed/", "/oembed")


class CookielessEmbedSessions(SecureCookieSessionInterface):
    """The embed routes neither read nor write the session: an empty one in, no cookie (or Vary) out."""

    def open_session(self, app, request):
        if request.path.startswith(COOKIELESS_PREFIXES):
            return self.session_class()
        return super().open_session(app, request)

    def save_session(self, app, session, response) -> None:
        if request.path.startswith(COOKIELESS_PREFIXES):
            return
        super().save_session(app, session, response)

MAX_QUERY_STRING = 1024
MAX_EVENT_BYTES = 512
_WIDGET_KEY = re.compile(r"[0-9]{1,9}")


class OriginRefused(ServiceError):
    status_code = 403


def _json_error(status: int, code: str, message: str) -> Response:
    response = make_response(jsonify({"error": {"status": status, "code": code, "message": message}}), status)
    response.headers["Vary"] = "Origin"
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.errorhandler(ServiceError)
def _service_error(error: ServiceError) -> Response:
    codes = {400: "bad_request", 403: "origin_not_allowed", 404: "not_found", 422: "bad_request"}
    status = 400 if error.status_code == 422 else error.status_code
    return _json_error(status, codes.get(error.status_code, "error"), error.message or "Not allowed.")


def _widget_id(key: str) -> int:
    if not _WIDGET_KEY.fullmatch(key):
        raise NotFound("There is no such widget.")
    return int(key)


def _check_query_string() -> None:
    if len(request.query_string) > MAX_QUERY_STRING:
        raise ValidationFailed("The query string is too long.")


def _own_origin() -> str:
    return request.host_url.rstrip("/").lower()


def _allowed_origin(origins: list[str]) -> str | None:
    """The Origin to echo in CORS headers; None for same-origin requests; OriginRefused otherwise."""
    origin = request.headers.get("Origin")
    if origin is None or origin.lower() == _own_origin():
        return None
    if widget_service.origin_allowed(origins, origin):
        return origin
    raise OriginRefused("This widget is not enabled for this site.")


def _cors(response: Response, origin: str | None, methods: str = "GET, OPTIONS") -> Response:
    response.headers["Vary"] = "Origin"
    if origin:
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Allow-Methods"] = methods
        response.headers["Access-Control-Allow-Headers"] = "Content-Type"
        response.headers["Access-Control-Max-Age"] = "600"
    return response


def _live_entry(key: str) -> widget_service.EmbedEntry:
    entry = widget_service.embed_entry(_widget_id(key), widget_links())
    if not entry.found:
        raise NotFound("There is no such widget.")
    return entry


def _checked(key: str) -> tuple[widget_service.EmbedEntry, str | None]:
    """A live widget asked for from an allowed site, with a sane query string; else a JSON error."""
    _check_query_string()
    entry = _live_entry(key)
    return entry, _allowed_origin(entry.origins)


@bp.route("/embed.js")
def loader() -> Response:
    response = send_from_directory(current_app.static_folder, "embed.js", max_age=300)
    response.headers["Content-Type"] = "text/javascript; charset=utf-8"
    return response


@bp.route("/embed/w/<key>.json", methods=["GET", "OPTIONS"])
def widget_data(key: str) -> Response:
    entry, origin = _checked(key)
    if request.method == "OPTIONS":
        return _cors(Response(status=204), origin)
    response = Response(entry.body, mimetype="application/json")
    response.set_etag(entry.etag)
    response.headers["Cache-Control"] = "public, no-cache"
    response = response.make_conditional(request)
    return _cors(response, origin)


@bp.route("/embed/w/<key>/search", methods=["GET", "OPTIONS"])
def widget_search(key: str) -> Response:
    entry, origin = _checked(key)
    if request.method == "OPTIONS":
        return _cors(Response(status=204), origin)
    if entry.kind != "search":
        raise NotFound("This widget has no search.")
    results = widget_service.search_widget(_widget_id(key), request.args.get("q", ""), widget_links())
    response = jsonify(results)
    response.headers["Cache-Control"] = "no-store"
    return _cors(response, origin)


@bp.route("/embed/w/<key>/event", methods=["POST", "OPTIONS"])
@limiter.limit("300 per minute")
def widget_event(key: str) -> Response:
    _entry, origin = _checked(key)
    if request.method == "OPTIONS":
        return _cors(Response(status=204), origin, "POST, OPTIONS")
    kind = _event_kind()
    # Previews on our own pages (no foreign Origin) are not impressions on the brand's site.
    if origin is not None:
        widget_events.record_event(_widget_id(key), origin.lower(), kind)
    return _cors(Response(status=204), origin, "POST, OPTIONS")


def _event_kind() -> str:
    if (request.content_length or 0) > MAX_EVENT_BYTES:
        raise ValidationFailed("The event is too large.")
    try:
        data = json.loads(request.get_data(as_text=True) or "{}")
    except ValueError:
        raise ValidationFailed("The event is not JSON.") from None
    kind = data.get("kind") if isinstance(data, dict) else None
    if kind not in widget_events.EVENT_KINDS:
        raise ValidationFailed("Unknown event kind.")
    return kind


# --- iframe mode, oEmbed, thread card ------------------------------------------------------------


def _render_bare(template: str, **context: Any) -> str:
    # Rendered without the app's context processors: they would load the signed-in user.
    return current_app.jinja_env.get_template(template).render(**context)


def _frameable(html: str, ancestors: str, status: int = 200, scripts: bool = False) -> Response:
    response = Response(html, status=status, mimetype="text/html")
    # The search frame runs one static script of ours and fetches its results from us; nothing inline.
    script = "script-src 'self'; connect-src 'self'; " if scripts else ""
    response.headers["Content-Security-Policy"] = (
        f"default-src 'none'; {script}style-src 'self'; img-src 'self' data:; form-action 'self'; "
        f"base-uri 'none'; frame-ancestors {ancestors}"
    )
    return response


@bp.route("/embed/w/<key>/frame")
def widget_frame(key: str) -> Response:
    _check_query_string()
    entry = _live_entry(key)
    payload = json.loads(entry.body)
    ancestors = " ".join(["'self'", *entry.origins])
    html = _render_bare("widgets/frame.html", data=payload, static=_static_url)
    response = _frameable(html, ancestors, scripts=entry.kind == "search")
    response.headers["Cache-Control"] = "public, no-cache"
    return response


def _static_url(filename: str) -> str:
    from flask import url_for

    return url_for("static", filename=filename)


@bp.route("/oembed")
def oembed() -> Response:
    _check_query_string()
    if request.args.get("format", "json") != "json":
        return _json_error(501, "format_not_supported", "Only format=json is supported.")
    data = oembed_service.oembed_for(request.args.get("url", ""), request.host_url, _int_arg("maxwidth"), oembed_links())
    response = jsonify(data)
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


def _int_arg(name: str) -> int | None:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return None
    if not raw.isdigit() or len(raw) > 5:
        raise ValidationFailed(f"{name} must be a whole number.")
    return int(raw)


@bp.route("/embed/thread/<key>")
def thread_card(key: str) -> Response:
    if not _WIDGET_KEY.fullmatch(key):
        raise NotFound("There is no such thread.")
    card = oembed_service.thread_card(int(key), oembed_links())
    html = _render_bare("widgets/thread_card.html", card=card, static=_static_url)
    # A public thread card may be embedded anywhere, like any oEmbed provider's.
    return _frameable(html, "*")


@bp.app_template_global("oembed_discovery_url")
def oembed_discovery_url(thread) -> str | None:
    return oembed_service.discovery_url(thread, oembed_links())
