"""Search page, result clicks, similar-question suggestions and the staff insights page."""
from __future__ import annotations

from datetime import datetime, time, timedelta, timezone
from urllib.parse import urlencode

from flask import Blueprint, abort, current_app, g, jsonify, redirect, render_template, request, url_for
from werkzeug.routing import BuildError

from ..errors import ValidationFailed
from ..extensions import limiter
from . import queries as search_service
from . import deflection as search_deflection
from . import query_log as search_hits
from ..web.helpers import thread_url, viewer
from ..web.links import query_link

bp = Blueprint("search", __name__)

MAX_PAGE = 500
MAX_QUICK_CHARS = 2000  # the page's field allows as much; only the first 300 are searched
# Lookups as a reader types (the header's results, the composer's similar questions): a few a
# second from one reader at most; more is a script.
typing_limit = limiter.shared_limit("120 per minute;2000 per hour", scope="search-typing")


@bp.route("/search")
def search():
    args = request.args
    text = args.get("q", "")
    input_errors: dict[str, str] = {}
    filters = _filters(args, input_errors)
    screen = search_service.search_screen(viewer(), text, filters, input_errors)
    if screen.page.searched and screen.page.page == 1:
        g.search_recorded = (screen.page.query, screen.page.total)  # the page cache counts its hits too
    status = 400 if input_errors else 422 if screen.errors else 200
    return render_template(
        "search/search.html", page=screen.page, raw_query=text, args=args, errors=screen.errors,
        categories=screen.categories, panel=screen.panel, ask_url=compose_url(text), search_link=_linker(args),
    ), status


LINK_PARAMS = ("q", "category", "state", "verified", "tag", "from", "to", "sort")


def _linker(args):
    """search_link({...}): this search with some parameters changed (None drops one); back to page
    one and to corrected results unless the changes say otherwise."""
    kept = {name: args.get(name) for name in LINK_PARAMS if args.get(name)}

    def search_link(changes: dict) -> str:
        merged = {**kept, **changes}
        return query_link("search.search", **{name: value for name, value in merged.items() if value not in (None, "")})

    return search_link


def _filters(args, errors: dict[str, str]) -> search_service.SearchFilters:
    return search_service.SearchFilters(
        category_id=_int(args.get("category"), "category", errors),
        state=args.get("state") or None,
        verified_only=args.get("verified") in ("1", "on", "true"),
        date_from=_date(args.get("from"), "from", errors),
        date_to=_date(args.get("to"), "to", errors, end_of_day=True),
        sort=args.get("sort") or "relevance",
        page=_int(args.get("page"), "page", errors) or 1,
        tag=args.get("tag") or None,
        exact=args.get("exact") == "1",
    )


def _int(raw: str | None, name: str, errors: dict[str, str]) -> int | None:
    if not raw:
        return None
    if not raw.isdigit() or len(raw) > 9:
        errors[name] = "Choose a valid value."
        return None
    return int(raw)


def _date(raw: str | None, name: str, errors: dict[str, str], end_of_day: bool = False) -> datetime | None:
    if not raw:
        return None
    try:
        day = datetime.strptime(raw.strip(), "%Y-%m-%d").date()
    except ValueError:
        errors[name] = "Use a date like 2024-05-31."
        return None
    moment = datetime.combine(day, time.min, tzinfo=timezone.utc)
    return moment + timedelta(days=1) - timedelta(microseconds=1) if end_of_day else moment


def compose_url(title: str = "", body: str = "") -> str:
    """The new-thread composer, prefilled; a plain path until the forum's endpoint exists."""
    params = {key: value for key, value in (("title", title[:150]), ("body", body)) if value}
    try:
        return url_for("forum.new_thread", **params)
    except BuildError:
        return "/new" + ("?" + urlencode(params) if params else "")


@bp.route("/search/click")
def click():
    thread_id = request.args.get("t", "")
    if not thread_id.isdigit():
        abort(404)
    thread = search_deflection.record_click(viewer(), int(thread_id), request.args.get("q", ""))
    answer = request.args.get("answer", "")
    return redirect(thread_url(thread) + (f"#post-{answer}" if answer.isdigit() and len(answer) < 12 else ""))


@bp.route("/search/quick")
@typing_limit
def quick():
    """JSON for the header's results as you type: the top few threads the reader may read."""
    text = request.args.get("q")
    if text is None or len(text) > MAX_QUICK_CHARS:
        message = "Add q, the text to search for." if text is None else f"Search with at most {MAX_QUICK_CHARS} characters."
        return jsonify({"error": {"status": 400, "code": "bad_request", "message": message}}), 400
    found = search_service.quick(viewer(), text)
    return jsonify({
        "query": found.query,
        "corrected": found.corrected,
        "results": [_quick_json(item) for item in found.items],
        "all_url": url_for("search.search", q=found.query) if found.query else url_for("search.search"),
    })


def _quick_json(item) -> dict:
    url = thread_url(item.thread)
    return {
        "id": item.thread.id,
        "title": item.thread.title,
        "url": url,
        "category": item.thread.category.name,
        "solved": item.solved,
        "answer_url": f"{url}#post-{item.answer_post_id}" if item.answer_post_id else None,
        "attachments": item.attachments,
    }


@bp.route("/search/similar")
@typing_limit
def similar():
    """JSON for the composer's live suggestions."""
    items = search_service.similar(
        viewer(), request.args.get("title", ""), request.args.get("body", ""), request.args.get("cid")
    )
    cid = request.args.get("cid", "")
    return jsonify(
        {"results": [_similar_json(item, cid) for item in items]}
    )


def _similar_json(item, cid: str) -> dict:
    return {
        "id": item.thread.id,
        "title": item.thread.title,
        "url": url_for("search.open_suggestion", t=item.thread.id, cid=cid) if cid else thread_url(item.thread),
        "snippet_html": str(item.hit.snippet_html),
        "state": item.thread.state.value,
        "has_verified_answer": item.hit.has_verified_answer,
        "score": round(item.hit.score, 4),
    }


@bp.route("/search/similar/page")
def similar_page():
    """The no-JavaScript fallback: similar questions as a page, then on to the composer."""
    title, body = request.args.get("title", ""), request.args.get("body", "")
    items = search_service.similar(viewer(), title, body)
    return render_template(
        "search/similar_page.html", items=items, title=title, body=body, compose_url=compose_url(title, body)
    )


@bp.route("/search/similar/open")
def open_suggestion():
    thread_id = request.args.get("t", "")
    if not thread_id.isdigit():
        abort(404)
    thread = search_deflection.open_suggestion(viewer(), int(thread_id), request.args.get("cid", ""))
    return redirect(thread_url(thread))


@bp.route("/search/deflection", methods=["POST"])
def deflection():
    """The composer reports posted-anyway or abandoned (sent with navigator.sendBeacon)."""
    try:
        search_deflection.record_compose_outcome(viewer(), request.form.get("kind", ""), request.form.get("cid", ""))
    except ValidationFailed as failure:
        return jsonify({"error": {"status": 422, "message": failure.message, "fields": failure.fields}}), 422
    return "", 204


@bp.route("/search/insights")
def insights():
    search_hits.flush(current_app)  # this process's cached searches; other workers' within FLUSH_SECONDS
    return render_template("search/insights.html", insights=search_deflection.insights(viewer()))
