"""/_control/...: seed and inspect the fake X from tests or the demo (not part of X's API)."""
from __future__ import annotations

from datetime import datetime

from flask import Blueprint, Response, jsonify, request

from .api import state
from .payloads import iso_time
from .state import FakePost
from ..twcs import parse_twcs
from .twcs import load_rows

bp = Blueprint("fake_x_control", __name__, url_prefix="/_control")


def _bad(message: str) -> Response:
    response = jsonify({"error": message})
    response.status_code = 400
    return response


def _body() -> dict:
    body = request.get_json(silent=True)
    return body if isinstance(body, dict) else {}


def post_record(post: FakePost) -> dict:
    return {"id": post.id, "author_id": post.author_id, "text": post.text, "created_at": iso_time(post.created_at),
            "conversation_id": post.conversation_id, "in_reply_to_tweet_id": post.replied_to_id,
            "quote_tweet_id": post.quoted_id, "via_api": post.via_api, "deleted": post.deleted}


@bp.post("/reset")
def reset() -> Response:
    state().reset()
    return jsonify({"reset": True})


def _id_or_none(value) -> str | None:
    """An id from a control request: digits (string or number), like X's snowflake ids."""
    if value is None:
        return None
    if isinstance(value, bool) or not str(value).isdigit() or len(str(value)) > 19:
        raise ValueError(f"{value!r} is not an id (1 to 19 digits)")
    return str(value)


@bp.post("/users")
def add_user() -> Response:
    body = _body()
    if not isinstance(body.get("username"), str) or not body["username"]:
        return _bad("username is required")
    try:
        user_id = _id_or_none(body.get("id"))
    except ValueError as exc:
        return _bad(str(exc))
    user = state().add_user(body["username"], body.get("name"), user_id)
    return jsonify({"id": user.id, "username": user.username, "name": user.name}), 201


@bp.post("/posts")
def add_post() -> Response:
    body = _body()
    author = state().users.get(str(body.get("author_id"))) or state().user_by_username(str(body.get("username", "")))
    if author is None or not isinstance(body.get("text"), str):
        return _bad("text and an existing author_id or username are required")
    try:
        created_at = datetime.fromisoformat(body["created_at"].replace("Z", "+00:00")) if body.get("created_at") else None
        ids = {name: _id_or_none(body.get(name)) for name in ("id", "in_reply_to_tweet_id", "quote_tweet_id")}
    except (AttributeError, ValueError) as exc:
        return _bad(f"bad post field: {exc}")
    post = state().add_post(author.id, body["text"], post_id=ids["id"], created_at=created_at,
                            in_reply_to_tweet_id=ids["in_reply_to_tweet_id"], quote_tweet_id=ids["quote_tweet_id"],
                            lang=str(body.get("lang", "en")))
    return jsonify(post_record(post)), 201


@bp.get("/posts")
def list_posts() -> Response:
    """What was posted, including deleted posts; ?author_id= and ?via_api=1 narrow it to the brand's."""
    posts = sorted(state().posts.values(), key=lambda post: int(post.id))
    if request.args.get("author_id"):
        posts = [post for post in posts if post.author_id == request.args["author_id"]]
    if request.args.get("via_api") == "1":
        posts = [post for post in posts if post.via_api]
    return jsonify({"posts": [post_record(post) for post in posts]})


@bp.post("/twcs")
def load_twcs() -> Response:
    try:
        rows = parse_twcs(request.get_data(as_text=True))
    except (KeyError, ValueError) as exc:
        return _bad(f"not a twcs.csv file: {exc}")
    return jsonify({"loaded": load_rows(state(), rows)}), 201


@bp.post("/faults")
def add_fault() -> Response:
    body = _body()
    try:
        fault = state().add_fault(str(body.get("kind")), body.get("endpoint", "*"), body.get("status", 503),
                                  body.get("delay", 0.0), body.get("times", 1))
    except (TypeError, ValueError) as exc:
        return _bad(str(exc))
    return jsonify(vars(fault)), 201


@bp.post("/limits")
def set_limit() -> Response:
    body = _body()
    limit, remaining = body.get("limit"), body.get("remaining")
    if not isinstance(limit, int) or not (remaining is None or isinstance(remaining, int)):
        return _bad("limit (an integer) is required; remaining, if given, is an integer")
    if body.get("day") in ("app", "user"):
        state().set_day_limit(body["day"], limit, remaining)
    elif isinstance(body.get("endpoint"), str):
        state().set_window_limit(body["endpoint"], limit, remaining)
    else:
        return _bad('give "endpoint" (e.g. "POST /2/tweets") or "day" ("app" or "user")')
    return jsonify({"ok": True})


@bp.post("/app_tokens")
def add_app_token() -> Response:
    return jsonify({"access_token": state().add_app_token(_body().get("token"))}), 201


@bp.post("/user_tokens")
def issue_user_tokens() -> Response:
    body = _body()
    if str(body.get("user_id")) not in state().users:
        return _bad("user_id of an existing user is required")
    return jsonify(state().issue_user_tokens(str(body["user_id"]), lifetime=int(body.get("expires_in", 7200)))), 201


@bp.post("/user_tokens/expire")
def expire_user_token() -> Response:
    state().expire_user_token(str(_body().get("access_token")))
    return jsonify({"expired": True})


@bp.post("/oauth_clients")
def add_client() -> Response:
    body = _body()
    if not body.get("client_id") or not body.get("redirect_uri"):
        return _bad("client_id and redirect_uri are required")
    state().add_client(body["client_id"], body["redirect_uri"], body.get("client_secret"))
    return jsonify({"client_id": body["client_id"]}), 201


@bp.post("/authorize_as")
def authorize_as() -> Response:
    user_id = str(_body().get("user_id"))
    if user_id not in state().users:
        return _bad("user_id of an existing user is required")
    state().authorize_user_id = user_id
    return jsonify({"user_id": user_id})
