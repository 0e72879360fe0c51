"""Categories, threads and posts."""
from __future__ import annotations

from datetime import datetime

from flask import current_app, jsonify

from ..attachments import service as attachments
from ..extensions import limiter
from ..services import api_listings, forum, moderation, posts, threads
from . import bp, serializers
from .responses import (
    arg_choice, arg_datetime, arg_int, arg_limit, arg_text, body_bool, body_int, body_text, decode_cursor,
    encode_cursor, json_body, listing,
)
from .tokens import api_user, poster_key, requires

# New threads and replies share the web forms' per-member bucket, so the API is no way around it;
# override_defaults=False keeps the per-token API budget on these routes too.
posting_limit = limiter.shared_limit(lambda: current_app.config["RATELIMIT_POSTING"], scope="posting",
                                     key_func=poster_key, methods=["POST"], override_defaults=False)


@bp.get("/categories")
@requires("read")
def categories():
    rows = forum.readable_categories(api_user())
    return listing([serializers.category(row) for row in rows], None)


@bp.get("/categories/<int:category_id>")
@requires("read")
def category(category_id: int):
    return jsonify(serializers.category(api_listings.listing_category(api_user(), category_id)))


@bp.get("/threads")
@requires("read")
def thread_list():
    category_id = arg_int("category")
    # Within a category pinned threads lead, so its cursors also carry the pinned flag.
    cursor_kinds = (int, datetime, int) if category_id is not None else (datetime, int)
    rows, position = api_listings.thread_feed(
        api_user(), category_id=category_id, state=arg_choice("state", api_listings.THREAD_STATES),
        tag=arg_text("tag", 50), updated_since=arg_datetime("updated_since"),
        after=decode_cursor(cursor_kinds), limit=arg_limit(),
    )
    return listing([serializers.thread(row) for row in rows], position)


@bp.post("/threads")
@requires("write")
@posting_limit
def thread_create():
    body = json_body()
    row = threads.create_thread(api_user(), body_int(body, "category_id"), body_text(body, "title"),
                                body_text(body, "body"))
    return jsonify(serializers.thread(row)), 201


@bp.get("/threads/<int:thread_id>")
@requires("read")
def thread_read(thread_id: int):
    """The thread with its first page of posts; /threads/<id>/posts pages through the rest."""
    viewer = api_user()
    row, rows, position = api_listings.thread_posts(viewer, thread_id, limit=arg_limit())
    files = attachments.by_post(item.id for item in rows)
    return jsonify({**serializers.thread(row), "posts": [serializers.post(viewer, item, files[item.id]) for item in rows],
                    "posts_next_cursor": encode_cursor(position)})


@bp.get("/threads/<int:thread_id>/posts")
@requires("read")
def thread_post_list(thread_id: int):
    viewer = api_user()
    _row, rows, position = api_listings.thread_posts(viewer, thread_id, after=decode_cursor((int,)), limit=arg_limit())
    files = attachments.by_post(item.id for item in rows)
    return listing([serializers.post(viewer, item, files[item.id]) for item in rows], position)


@bp.post("/threads/<int:thread_id>/posts")
@requires("write")
@posting_limit
def reply_create(thread_id: int):
    body = json_body()
    row = posts.create_reply(api_user(), thread_id, body_text(body, "body"),
                             body_int(body, "reply_to_post_id", required=False))
    return jsonify(serializers.post(api_user(), row)), 201


@bp.get("/posts/<int:post_id>")
@requires("read")
def post_read(post_id: int):
    viewer = api_user()
    return jsonify(serializers.post(viewer, forum.post_for_viewer(viewer, post_id)))


@bp.patch("/posts/<int:post_id>")
@requires("write")
def post_edit(post_id: int):
    body = json_body()
    viewer = api_user()
    row = posts.edit_post(viewer, post_id, body_text(body, "body"), body_text(body, "title", required=False),
                          body_text(body, "reason", required=False) or "")
    return jsonify(serializers.post(viewer, row))


@bp.post("/posts/<int:post_id>/hide")
@requires("moderate")
def post_hide(post_id: int):
    """{"hidden": true|false, "reason": "..."}: hide or unhide, as in the moderation queue."""
    body = json_body()
    viewer = api_user()
    row = moderation.set_post_hidden(viewer, post_id, body_bool(body, "hidden", True),
                                     body_text(body, "reason", required=False) or "")
    return jsonify(serializers.post(viewer, row))
