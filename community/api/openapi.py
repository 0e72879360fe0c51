"""The OpenAPI 3.1 description of /api/v1, written as one Python structure.

tests/api/test_openapi.py checks that every API route appears here and that real responses match
these schemas; a property-based run (schemathesis) feeds the described inputs to every operation.
"""
from __future__ import annotations

from functools import lru_cache

from .responses import MAX_LIMIT

VERSION = "1.0.0"


def _nullable(schema: dict) -> dict:
    return {**schema, "type": [schema["type"], "null"]}


STRING = {"type": "string"}
INTEGER = {"type": "integer"}
BOOLEAN = {"type": "boolean"}
TIME = {"type": "string", "format": "date-time"}
NULLABLE_TIME = _nullable(TIME)
NULLABLE_STRING = _nullable(STRING)
NULLABLE_INTEGER = _nullable(INTEGER)


def _object(properties: dict, required: list[str] | None = None) -> dict:
    """A closed object: responses may not carry fields the document does not name."""
    return {"type": "object", "properties": properties, "required": list(properties) if required is None else required,
            "additionalProperties": False}


def ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


USER_REF = _object({"id": INTEGER, "username": STRING, "display_name": STRING})

THREAD = {
    "id": INTEGER, "title": STRING, "slug": STRING,
    "category": _object({"id": INTEGER, "slug": STRING, "name": STRING}),
    "author": ref("UserRef"), "state": {"type": "string", "enum": ["open", "answered", "solved", "closed"]},
    "is_private": BOOLEAN, "is_locked": BOOLEAN, "is_pinned": BOOLEAN, "reply_count": INTEGER,
    "tags": {"type": "array", "items": STRING}, "created_at": TIME, "last_activity_at": TIME,
    "first_reply_at": NULLABLE_TIME, "solved_at": NULLABLE_TIME, "url": STRING,
}

SCHEMAS = {
    "Error": _object({"error": _object({
        "status": INTEGER, "code": STRING, "message": STRING,
        "fields": {"type": "object", "additionalProperties": STRING},
    })}),
    "UserRef": USER_REF,
    "Category": _object({
        "id": INTEGER, "name": STRING, "slug": STRING, "description": STRING,
        "visibility": {"type": "string", "enum": ["public", "members", "customers", "staff"]},
        "position": INTEGER, "thread_count": INTEGER, "post_count": INTEGER, "url": STRING,
    }),
    "Thread": _object(THREAD),
    "ThreadWithPosts": _object({**THREAD, "posts": {"type": "array", "items": ref("Post")},
                                "posts_next_cursor": NULLABLE_STRING}),
    "SearchHit": _object({**THREAD, "score": {"type": "number"}, "snippet_html": STRING}),
    "Post": _object({
        "id": INTEGER, "thread_id": INTEGER, "position": INTEGER, "author": ref("UserRef"),
        "body_markdown": NULLABLE_STRING, "body_html": NULLABLE_STRING, "reply_to_post_id": NULLABLE_INTEGER,
        "is_deleted": BOOLEAN, "is_hidden": BOOLEAN, "is_pending": BOOLEAN, "edit_count": INTEGER,
        "created_at": TIME, "updated_at": NULLABLE_TIME, "url": STRING,
        "attachments": {"type": "array", "items": ref("Attachment")},
    }),
    # The URLs answer `Authorization: Bearer <token>` (read scope) exactly as the post is readable.
    "Attachment": _object({
        "id": INTEGER, "name": STRING, "content_type": STRING, "size": INTEGER, "is_image": BOOLEAN,
        "width": NULLABLE_INTEGER, "height": NULLABLE_INTEGER, "url": STRING, "thumbnail_url": NULLABLE_STRING,
    }),
    "User": _object({
        "id": INTEGER, "username": STRING, "display_name": STRING, "bio": STRING, "created_at": TIME, "url": STRING,
        "staff_view": _object({
            "email": STRING, "role": STRING, "is_verified_customer": BOOLEAN, "email_verified": BOOLEAN,
            "last_seen_at": NULLABLE_TIME, "suspended_until": NULLABLE_TIME, "is_banned": BOOLEAN,
            "is_deleted": BOOLEAN,
        }),
    }, ["id", "username", "display_name", "bio", "created_at", "url"]),
    "BridgeCase": _object({
        "id": INTEGER, "network": STRING, "conversation_id": STRING, "author_username": STRING,
        "author_name": STRING, "author_followers": NULLABLE_INTEGER, "status": STRING, "summoned": BOOLEAN,
        "label": STRING, "complaint_score": {"type": "number"}, "version": INTEGER,
        "assigned_to": {"oneOf": [ref("UserRef"), {"type": "null"}]}, "linked_thread_id": NULLABLE_INTEGER,
        "detected_at": TIME, "last_post_at": TIME, "first_response_at": NULLABLE_TIME,
        "posts": {"type": "array", "items": _object({"post_id": STRING, "text": NULLABLE_STRING, "posted_at": TIME})},
    }),
    "Metrics": _object({
        "scope": {"type": "string", "enum": ["all", "own"]},
        "filters": {"type": "object"}, "refreshed_at": NULLABLE_STRING,
        "summary": {"type": "object", "additionalProperties": {"type": ["number", "null"]}},
        "tables": {"type": "object", "additionalProperties": _object({
            "title": STRING, "columns": {"type": "array", "items": STRING},
            "rows": {"type": "array", "items": {"type": "array"}}, "chart": NULLABLE_STRING,
        })},
    }),
    "Token": _object({
        "id": INTEGER, "name": STRING, "kind": {"type": "string", "enum": ["personal", "service"]},
        "scopes": {"type": "array", "items": {"type": "string", "enum": ["read", "write", "moderate", "admin"]}},
        "prefix": STRING, "user": ref("UserRef"), "created_at": TIME, "expires_at": NULLABLE_TIME,
        "last_used_at": NULLABLE_TIME,
    }),
}


def _page_of(item: dict) -> dict:
    return _object({"data": {"type": "array", "items": item}, "next_cursor": NULLABLE_STRING})


def _query(name: str, schema: dict, description: str) -> dict:
    return {"name": name, "in": "query", "required": False, "schema": schema, "description": description}


def _path_id(name: str) -> dict:
    return {"name": name, "in": "path", "required": True, "schema": {"type": "integer", "minimum": 1}}


CURSOR = _query("cursor", STRING, "next_cursor from the previous page.")
LIMIT = _query("limit", {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT}, f"Items per page (1-{MAX_LIMIT}, default 25).")

ERROR_STATUSES = {
    "400": "Bad parameters or body.", "401": "Missing, unknown, revoked or expired token.",
    "403": "The token lacks the scope, or its user may not do this.", "404": "No such object, or not visible to the token's user.",
    "409": "Conflict: someone changed it first, or a duplicate.", "415": "The body was not JSON.",
    "422": "Input broke a rule; `fields` says which.", "429": "Rate limit exceeded; see Retry-After.",
}


def _json(schema: dict) -> dict:
    return {"content": {"application/json": {"schema": schema}}}


def _operation(operation_id: str, summary: str, scope: str | None, ok: dict, *, status: str = "200",
               parameters: list | None = None, body: dict | None = None, errors: tuple[str, ...] = ()) -> dict:
    responses = {status: {"description": "OK", **_json(ok)}}
    for code in (("401", "403", "429") if scope else ("429",)) + errors:
        responses[code] = {"description": ERROR_STATUSES[code], **_json(ref("Error"))}
    operation = {"operationId": operation_id, "summary": summary, "parameters": parameters or [], "responses": responses}
    if scope:
        operation["security"] = [{"bearer": []}]
        operation["x-scope"] = scope
        operation["description"] = f"Needs the `{scope}` scope (the admin scope includes every scope)."
    else:
        operation["security"] = []
    if body is not None:
        operation["requestBody"] = {"required": True, **_json(body)}
    return operation


TEXT = {"type": "string", "minLength": 1}


def _paths() -> dict:
    thread_filters = [
        _query("category", {"type": "integer", "minimum": 1}, "Only this category (id)."),
        _query("state", {"type": "string", "enum": ["unanswered", "unsolved", "solved", "open", "answered", "closed"]},
               "unanswered, unsolved and solved as on the listings; open, answered and closed are exact states."),
        _query("tag", STRING, "Only threads with this tag."),
        _query("updated_since", {"type": "string", "format": "date-time"}, "Only threads active at or after this time."),
        CURSOR, LIMIT,
    ]
    return {
        "/me": {"get": _operation("getMe", "The token and the account it acts as.", "read",
                                  _object({"token": ref("Token"), "user": ref("User")}))},
        "/openapi.json": {"get": _operation("getOpenApi", "This document.", None, {"type": "object"})},
        "/categories": {"get": _operation("listCategories", "Categories the token's user may read.", "read",
                                          _page_of(ref("Category")))},
        "/categories/{category_id}": {"get": _operation(
            "getCategory", "One category.", "read", ref("Category"), parameters=[_path_id("category_id")],
            errors=("404",))},
        "/threads": {
            "get": _operation("listThreads", "Threads, most recently active first.", "read", _page_of(ref("Thread")),
                              parameters=thread_filters, errors=("400", "404")),
            "post": _operation("createThread", "Start a thread.", "write", ref("Thread"), status="201",
                               body=_object({"category_id": {"type": "integer", "minimum": 1}, "title": TEXT, "body": TEXT}),
                               errors=("400", "415", "422")),
        },
        "/threads/{thread_id}": {"get": _operation(
            "getThread", "A thread with its first page of posts.", "read",
            ref("ThreadWithPosts"),
            parameters=[_path_id("thread_id"), LIMIT], errors=("400", "404"))},
        "/threads/{thread_id}/posts": {
            "get": _operation("listThreadPosts", "A thread's posts in order.", "read", _page_of(ref("Post")),
                              parameters=[_path_id("thread_id"), CURSOR, LIMIT], errors=("400", "404")),
            "post": _operation("createReply", "Reply in a thread.", "write", ref("Post"), status="201",
                               parameters=[_path_id("thread_id")],
                               body=_object({"body": TEXT, "reply_to_post_id": {"type": "integer", "minimum": 1}}, ["body"]),
                               errors=("400", "404", "409", "415", "422")),
        },
        "/posts/{post_id}": {
            "get": _operation("getPost", "One post.", "read", ref("Post"), parameters=[_path_id("post_id")],
                              errors=("404",)),
            "patch": _operation("editPost", "Edit a post (your own; staff any). A title renames an opening post's thread.",
                                "write", ref("Post"), parameters=[_path_id("post_id")],
                                body=_object({"body": TEXT, "title": STRING, "reason": STRING}, ["body"]),
                                errors=("400", "404", "415", "422")),
        },
        "/posts/{post_id}/hide": {"post": _operation(
            "hidePost", "Hide or unhide a post (staff).", "moderate", ref("Post"), parameters=[_path_id("post_id")],
            body=_object({"hidden": BOOLEAN, "reason": STRING}, []), errors=("400", "404", "415", "422"))},
        "/users": {"get": _operation("listUsers", "Every live account, oldest first (staff).", "read",
                                     _page_of(ref("User")), parameters=[CURSOR, LIMIT], errors=("400",))},
        "/users/{user_id}": {"get": _operation(
            "getUser", "A public profile; staff also get staff_view.", "read", ref("User"),
            parameters=[_path_id("user_id")], errors=("404",))},
        "/search": {"get": _operation(
            "search", "Search threads, as the search page does.", "read",
            _object({"data": {"type": "array", "items": ref("SearchHit")},
                "total": INTEGER, "corrected": NULLABLE_STRING, "notice": NULLABLE_STRING, "next_cursor": NULLABLE_STRING}),
            parameters=[{**_query("q", {"type": "string", "minLength": 1, "maxLength": 500}, "What to search for."),
                         "required": True},
                        _query("category", {"type": "integer", "minimum": 1}, "Only this category (id)."),
                        _query("state", {"type": "string", "enum": ["solved", "unsolved"]}, "Solved or unsolved only."),
                        _query("sort", {"type": "string", "enum": ["relevance", "newest"]}, "Order."), CURSOR, LIMIT],
            errors=("400", "422"))},
        "/metrics": {"get": _operation(
            "getMetrics", "The service-metrics dashboard figures (staff: own figures; admins: everyone's).", "read",
            ref("Metrics"),
            parameters=[_query("start", {"type": "string", "format": "date"}, "First day (UTC), default 30 days back."),
                        _query("end", {"type": "string", "format": "date"}, "Last day (UTC), default today."),
                        _query("category", {"type": "integer", "minimum": 1}, "Only this category (id)."),
                        _query("channel", {"type": "string", "enum": ["community", "x"]}, "Only this channel."),
                        _query("staff", {"type": "integer", "minimum": 1}, "Only this staff member (admins).")],
            errors=("422",))},
        "/bridge/cases": {"get": _operation(
            "listBridgeCases", "The X bridge triage inbox, highest priority first (staff; at most 200).", "read",
            _page_of(ref("BridgeCase")),
            parameters=[_query("label", STRING, "Only this label, or any."),
                        _query("status", STRING, "open (default), all, or one case status."),
                        _query("summoned", {"type": "string", "enum": ["any", "yes", "no"]}, "Summoned the brand."),
                        _query("assigned", {"type": "string", "enum": ["any", "me", "unassigned"]}, "Assignment.")],
            errors=("400",))},
        "/bridge/cases/{case_id}": {"get": _operation(
            "getBridgeCase", "One case with its posts (staff).", "read", ref("BridgeCase"),
            parameters=[_path_id("case_id")], errors=("404",))},
        "/bridge/cases/{case_id}/assign": {"post": _operation(
            "assignBridgeCase", "Assign a case to a staff member, or unassign with null (staff).", "moderate",
            ref("BridgeCase"), parameters=[_path_id("case_id")],
            body=_object({"assignee_id": {"type": ["integer", "null"], "minimum": 1}, "version": {"type": "integer", "minimum": 1}},
                         ["version"]),
            errors=("400", "404", "409", "415", "422"))},
    }


@lru_cache(maxsize=1)
def document() -> dict:
    return {
        "openapi": "3.1.0",
        "info": {"title": "Parley API", "version": VERSION,
                 "description": "Token-authenticated JSON API. Send `Authorization: Bearer <token>`; make tokens "
                                "in account settings (personal) or the admin area (service). Lists page with "
                                "opaque cursors: pass `next_cursor` back as `?cursor=` until it is null."},
        "servers": [{"url": "/api/v1"}],
        "paths": _paths(),
        "components": {"schemas": SCHEMAS,
                       "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
    }
