"""Search, through services.search: the same index filters and policy re-check as the search page."""
from __future__ import annotations

from flask import jsonify

from ..search import queries as search
from . import bp, serializers
from .responses import arg_choice, arg_int, arg_limit, arg_text, bad_request, decode_cursor, encode_cursor
from .tokens import api_user, requires

MAX_PAGE = 500


@bp.get("/search")
@requires("read")
def search_threads():
    """Relevance-ranked, so the cursor holds a page number (ranks shift as the index changes)."""
    text = arg_text("q", 500)
    if not text:
        raise bad_request("q", "Say what to search for.")
    page = (decode_cursor((int,)) or (1,))[0]
    if not 1 <= page <= MAX_PAGE:
        raise bad_request("cursor", "This cursor is not valid; use next_cursor from a previous page.")
    filters = search.SearchFilters(category_id=arg_int("category"), state=arg_choice("state", ("solved", "unsolved")),
                                   sort=arg_choice("sort", ("relevance", "newest")) or "relevance",
                                   page=page, per_page=arg_limit())
    results = search.search(api_user(), text, filters)
    more = results.page < min(results.pages, MAX_PAGE)
    return jsonify({
        "data": [{**serializers.thread(item.thread), "score": item.hit.score,
                  "snippet_html": str(item.hit.snippet_html)} for item in results.items],
        "total": results.total, "corrected": results.corrected, "notice": results.notice,
        "next_cursor": encode_cursor((results.page + 1,)) if more else None,
    })
