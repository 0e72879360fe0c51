"""The composer's JSON endpoints for static/js/composer*.js: @ and # suggestions, drafts.

Signed-in members only (401 JSON otherwise), rate-limited per member, POSTs behind the CSRF
header like every form. Thin: parse, call one service, answer."""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request, url_for

from ..errors import ServiceError
from ..extensions import limiter
from ..web.errors import json_error
from ..web.fragments import avatar_url
from ..web.forms import int_or_none
from ..web.helpers import viewer
from . import autocomplete, drafts

bp = Blueprint("composer", __name__, url_prefix="/composer")


def _member_key() -> str:
    user = viewer()
    return f"user:{user.id}" if user is not None else f"ip:{request.remote_addr}"


suggest_limit = limiter.shared_limit(lambda: current_app.config["RATELIMIT_AUTOCOMPLETE"], scope="composer-suggest", key_func=_member_key)
draft_limit = limiter.shared_limit(lambda: current_app.config["RATELIMIT_DRAFTS"], scope="composer-drafts", key_func=_member_key)


def _refused(error: ServiceError):
    if viewer() is None:
        return json_error(401, "Your session ended; sign in again in another tab. Your text is still here.")
    return json_error(error.status_code, error.message or "That can't be done here.")


def _json_body() -> dict | None:
    payload = request.get_json(silent=True)
    return payload if isinstance(payload, dict) else None


@bp.route("/mentions")
@suggest_limit
def mentions():
    """?q=<start of a username or display name>[&thread=<id> | &category=<id>]"""
    try:
        found = autocomplete.people(
            viewer(), request.args.get("q", ""), thread_id=int_or_none(request.args.get("thread")),
            category_id=int_or_none(request.args.get("category")),
        )
    except ServiceError as error:
        return _refused(error)
    return jsonify(suggestions=[
        {"username": person.username, "display_name": person.display_name, "avatar": avatar_url(person),
         "markdown": f"@{person.username}"}
        for person in found
    ])


@bp.route("/hashtags")
@suggest_limit
def hashtags():
    """?q=<start of a tag or category name>"""
    try:
        found = autocomplete.hashtags(viewer(), request.args.get("q", ""))
    except ServiceError as error:
        return _refused(error)
    suggestions = []
    for tag in found:
        url = url_for("tags.tag", name=tag.slug) if tag.kind == "tag" else url_for("forum.category", slug=tag.slug)
        label = tag.name.replace("[", "(").replace("]", ")")
        suggestions.append({"kind": tag.kind, "name": tag.name, "url": url, "markdown": f"[#{label}]({url})"})
    return jsonify(suggestions=suggestions)


def _draft_json(draft):
    if draft is None:
        return jsonify(draft=None)
    return jsonify(draft={"scope": draft.scope, "title": draft.title, "body": draft.body,
                          "updated_at": draft.updated_at.isoformat(), "post_changed_since": drafts.changed_since(draft)})


@bp.route("/draft")
@draft_limit
def load_draft():
    """?scope=thread:<id> | new | new:<category id> | post:<id>: the member's draft there, or null."""
    if viewer() is None:
        return json_error(401, "Sign in to keep drafts.")
    try:
        return _draft_json(drafts.load(viewer(), request.args.get("scope")))
    except ServiceError as error:
        return _refused(error)


@bp.route("/draft", methods=["POST"])
@draft_limit
def save_draft():
    """JSON {"scope": ..., "body": ..., "title": ...}; an empty body and title discard the draft."""
    payload = _json_body()
    if payload is None:
        return json_error(400, 'Send JSON like {"scope": "new", "body": "..."}.')
    try:
        draft = drafts.save(viewer(), payload.get("scope"), payload.get("body", ""), payload.get("title", ""))
    except ServiceError as error:
        return _refused(error)
    return _draft_json(draft)


@bp.route("/draft/discard", methods=["POST"])
@draft_limit
def discard_draft():
    """JSON {"scope": ...}: the member's draft there is removed."""
    payload = _json_body()
    if payload is None:
        return json_error(400, 'Send JSON like {"scope": "new"}.')
    try:
        removed = drafts.discard(viewer(), payload.get("scope"))
    except ServiceError as error:
        return _refused(error)
    return jsonify(discarded=removed)
