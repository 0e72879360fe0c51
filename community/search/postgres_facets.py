"""Facet counts on the PostgreSQL backend: one statement over the allowed matches.

The matches (filtered by the viewer's Access only) are read once into a materialized set with
each filter's verdict; every dimension then counts the rows that pass all the other filters, so
each option shows what choosing it would give. Tags come from the wide rows' tags column (names
joined by spaces, as indexed).
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import text

from ..extensions import db
from .backend import Facets, SearchRequest, top_tags

TAGS_SQL = "string_to_array(lower(t.tags), ' ')"


def tag_filter_sql(params: dict, tag: str) -> str:
    """The tag filter on search_ranks d: its wide row's tags hold the name."""
    params["tag"] = tag.lower()
    return (f"EXISTS (SELECT 1 FROM search_documents t WHERE t.thread_id = d.thread_id"
            f" AND :tag = ANY({TAGS_SQL}))")


def count(query_sql: str, access_where: str, params: dict, request: SearchRequest,
          since: dict[str, datetime], naive) -> Facets:
    """`query_sql` is the tsquery expression, `access_where` the Access filter on d (both built
    by the backend, with `params`)."""
    checks = _checks(request, params, naive)
    ranges = []
    for n, (name, start) in enumerate(since.items()):
        params[f"since{n}"] = naive(start)
        ranges.append(f"SELECT CAST(:name{n} AS text) AS name, CAST(:since{n} AS timestamp) AS start")
        params[f"name{n}"] = name
    ranges_sql = " UNION ALL ".join(ranges) or "SELECT NULL::text AS name, NULL::timestamp AS start WHERE false"

    def others(skip: str) -> str:
        return " AND ".join(f"m.ok_{name}" for name in checks if name != skip) or "true"

    sql = f"""
        WITH q AS MATERIALIZED (SELECT {query_sql} AS query),
        m AS MATERIALIZED (
            SELECT d.category_id, d.state = 'solved' AS solved, d.has_verified_answer AS verified,
                   d.created_at, {TAGS_SQL} AS tags,
                   {", ".join(f"{check} AS ok_{name}" for name, check in checks.items())}
            FROM search_ranks d JOIN search_documents t USING (thread_id), q
            WHERE numnode(q.query) > 0 AND d.document @@ q.query AND {access_where}
        ), ranges AS ({ranges_sql})
        SELECT 'category' AS facet, CAST(m.category_id AS text) AS value, count(*) AS n
            FROM m WHERE {others("category")} GROUP BY m.category_id
        UNION ALL
        SELECT 'state', CASE WHEN m.solved THEN 'solved' ELSE 'unsolved' END, count(*)
            FROM m WHERE {others("state")} GROUP BY 2
        UNION ALL
        SELECT 'verified', 'y', count(*) FROM m WHERE m.verified AND {others("verified")}
        UNION ALL
        SELECT 'tag', tag, count(*) FROM m, unnest(m.tags) AS tag
            WHERE tag <> '' AND {others("tag")} GROUP BY tag
        UNION ALL
        SELECT 'date', r.name, count(*) FROM m JOIN ranges r ON m.created_at >= r.start
            WHERE {others("date")} GROUP BY r.name
    """
    return _facets(db.session.execute(text(sql), params), since)


def _checks(request: SearchRequest, params: dict, naive) -> dict[str, str]:
    """Each dimension's filter as a boolean over d and t ('true' when it is not set)."""
    checks = {"category": "true", "state": "true", "verified": "true", "tag": "true", "date": "true"}
    if request.category_id is not None:
        params["facet_category"] = request.category_id
        checks["category"] = "d.category_id = :facet_category"
    if request.state in ("solved", "unsolved"):
        checks["state"] = "d.state = 'solved'" if request.state == "solved" else "d.state <> 'solved'"
    if request.verified_only:
        checks["verified"] = "d.has_verified_answer"
    if request.tag:
        params["facet_tag"] = request.tag.lower()
        checks["tag"] = f":facet_tag = ANY({TAGS_SQL})"
    dates = []
    if request.date_from:
        params["facet_from"] = naive(request.date_from)
        dates.append("d.created_at >= :facet_from")
    if request.date_to:
        params["facet_to"] = naive(request.date_to)
        dates.append("d.created_at <= :facet_to")
    if dates:
        checks["date"] = " AND ".join(dates)
    return checks


def _facets(rows, since: dict[str, datetime]) -> Facets:
    facets = Facets(states={"solved": 0, "unsolved": 0}, dates={name: 0 for name in since})
    tags: dict[str, int] = {}
    for facet, value, n in rows:
        if facet == "category":
            facets.categories[int(value)] = n
        elif facet == "state":
            facets.states[value] = n
        elif facet == "verified":
            facets.verified = n
        elif facet == "tag":
            tags[value] = n
        elif facet == "date":
            facets.dates[value] = n
    facets.tags = top_tags(tags)
    return facets
