"""The X API v2 endpoints the bridge uses, with auth, rate limits and injected faults."""
from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Callable

from flask import Blueprint, Response, current_app, request

from ..post_length import is_too_long
from . import payloads as p
from .query import compile_query
from .faults import apply_output_fault, drop_connection, proxy_page
from .state import FakePost, FakeState

bp = Blueprint("fake_x_api", __name__)

USER_ONLY = "user"
APP_OR_USER = "any"
Handler = Callable[["Caller"], tuple[dict, int]]


@dataclass(frozen=True)
class Caller:
    credential: str
    user_id: str | None  # None for the app-only bearer token


class Refusal(Exception):
    """A ready error response raised from inside a handler."""

    def __init__(self, payload: dict, status: int, problem_json: bool = True, headers: dict | None = None) -> None:
        super().__init__(payload.get("detail"))
        self.payload, self.status, self.problem_json = payload, status, problem_json
        self.headers = headers or {}


def state() -> FakeState:
    return current_app.extensions["fake_x_state"]


# --- the request pipeline ------------------------------------------------------------------------


def serve(endpoint: str, auth: str, handler: Handler) -> Response:
    fault = state().take_fault(endpoint)
    if fault and fault.kind in ("slow", "timeout"):
        time.sleep(fault.delay or (0.5 if fault.kind == "slow" else 3.0))
    if fault and fault.kind == "status":
        return _json(p.server_error(fault.status), fault.status, problem_json=True)
    if fault and fault.kind == "html":
        return proxy_page()
    try:
        caller = _authenticate(auth)
        headers = _consume_limits(endpoint, caller)
    except Refusal as refusal:
        return _json(refusal.payload, refusal.status, refusal.headers, refusal.problem_json)
    try:
        payload, status = handler(caller)
    except Refusal as refusal:
        return _json(refusal.payload, refusal.status, {**headers, **refusal.headers}, refusal.problem_json)
    response = _json(apply_output_fault(fault, payload), status, headers)
    if fault and fault.kind == "invalid_json":
        response.set_data(response.get_data()[: len(response.get_data()) // 2])
    if fault and fault.kind == "crash":
        drop_connection()
    return response


def _json(payload: dict, status: int, headers: dict | None = None, problem_json: bool = False) -> Response:
    response = Response(json.dumps(payload), status=status,
                        content_type=p.PROBLEM_TYPE if problem_json else p.JSON_TYPE)
    response.headers["api-version"] = p.API_VERSION
    response.headers.update(headers or {})
    return response


def _authenticate(auth: str) -> Caller:
    header = request.headers.get("Authorization", "")
    token = header[7:].strip() if header.lower().startswith("bearer ") else ""
    if token and token in state().app_tokens:
        if auth == USER_ONLY:
            raise Refusal(p.problem("unsupported-authentication", "Unsupported Authentication",
                                    p.APP_ONLY_FORBIDDEN, 403), 403)
        return Caller("app", None)
    grant = state().live_user_token(token) if token else None
    if grant is None or grant.user_id not in state().users:
        raise Refusal(p.blank_problem("Unauthorized", "Unauthorized", 401), 401)
    return Caller(f"user:{grant.user_id}", grant.user_id)


def _consume_limits(endpoint: str, caller: Caller) -> dict:
    """Spend one request from each applicable limit, or refuse with 429 when one is used up."""
    fake = state()
    with fake.lock:
        window = fake.window(endpoint, caller.credential)
        days = {}
        if endpoint == "POST /2/tweets":
            days = {"app": fake.day_window("app", "app"), "user": fake.day_window("user", caller.credential)}
        allowed = window.remaining > 0 and all(day.remaining > 0 for day in days.values())
        if allowed:
            for counter in (window, *days.values()):
                counter.remaining -= 1
        headers = _limit_headers(window, days)
    if allowed:
        return headers
    if window.remaining <= 0:
        raise Refusal({"errors": [{"code": 88, "message": "Rate limit exceeded"}]}, 429, False, headers)
    # The daily cap: the 15-minute window still has room, an x-*-24hour-remaining header says 0.
    raise Refusal(p.blank_problem("Too Many Requests", "Too Many Requests", 429), 429, True, headers)


def _limit_headers(window, days: dict) -> dict:
    headers = {"x-rate-limit-limit": str(window.limit), "x-rate-limit-remaining": str(window.remaining),
               "x-rate-limit-reset": str(window.reset)}
    for scope, day in days.items():
        prefix = f"x-{scope}-limit-24hour-"
        headers.update({prefix + "limit": str(day.limit), prefix + "remaining": str(day.remaining),
                        prefix + "reset": str(day.reset)})
    return headers


# --- endpoints -------------------------------------------------------------------------------------


@bp.get("/2/users/me")
def users_me() -> Response:
    return serve("GET /2/users/me", USER_ONLY, lambda caller: ({"data": p.user_json(state().users[caller.user_id])}, 200))


@bp.get("/2/users/<user_id>/mentions")
def users_mentions(user_id: str) -> Response:
    return serve("GET /2/users/:id/mentions", APP_OR_USER, lambda caller: _mentions(user_id))


@bp.get("/2/tweets/search/recent")
def search_recent() -> Response:
    return serve("GET /2/tweets/search/recent", APP_OR_USER, lambda caller: _search())


@bp.get("/2/users/<user_id>/tweets")
def users_tweets(user_id: str) -> Response:
    return serve("GET /2/users/:id/tweets", APP_OR_USER, lambda caller: _user_posts(user_id))


@bp.post("/2/tweets")
def create_tweet() -> Response:
    return serve("POST /2/tweets", USER_ONLY, _create)


@bp.delete("/2/tweets/<post_id>")
def delete_tweet(post_id: str) -> Response:
    return serve("DELETE /2/tweets/:id", USER_ONLY, lambda caller: _delete(caller, post_id))


def _mentions(user_id: str) -> tuple[dict, int]:
    user = _existing_user(user_id)
    _max_results(5)  # parameters are checked before the user is looked up, as X does
    if user is None:
        return {"errors": [p.user_not_found(user_id, "id")]}, 200
    mentioning = [post for post in state().visible_posts()
                  if post.author_id != user.id and post.mentions_username(user.username)]
    return _timeline(mentioning, 5, "pagination_token")


def _user_posts(user_id: str) -> tuple[dict, int]:
    user = _existing_user(user_id)
    _max_results(5)  # parameters are checked before the user is looked up, as X does
    if user is None:
        return {"errors": [p.user_not_found(user_id, "id")]}, 200
    return _timeline([post for post in state().visible_posts() if post.author_id == user.id], 5, "pagination_token")


def _search() -> tuple[dict, int]:
    query = request.args.get("query", "").strip()
    if not query:
        raise Refusal(p.invalid_request("The 'query' parameter is required.", parameter="query"), 400)
    try:
        matcher = compile_query(query, state().users)
    except ValueError as exc:
        raise Refusal(p.invalid_request(f"There were errors processing your request: {exc}",
                                        parameter="query", value=query), 400) from exc
    return _timeline([post for post in state().visible_posts() if matcher(post)], 10, "next_token")


def _existing_user(user_id: str):
    if not (user_id.isdigit() and len(user_id) <= 19):
        raise Refusal(p.invalid_request(f"The `id` query parameter value [{user_id}] does not match ^[0-9]{{1,19}}$",
                                        parameter="id", value=user_id), 400)
    return state().users.get(user_id)


def _id_arg(name: str) -> int | None:
    value = request.args.get(name)
    if value is None:
        return None
    if not value.isdigit():
        raise Refusal(p.invalid_request(f"The `{name}` query parameter value [{value}] is not valid",
                                        parameter=name, value=value), 400)
    return int(value)


def _max_results(lowest: int) -> int:
    raw = request.args.get("max_results", "10")
    if not raw.isdigit() or not lowest <= int(raw) <= 100:
        raise Refusal(p.invalid_request(
            f"The `max_results` query parameter value [{raw}] is not between {lowest} and 100",
            parameter="max_results", value=raw), 400)
    return int(raw)


def _page_boundary(token_param: str) -> int | None:
    token = request.args.get(token_param)
    if token is None:
        return None
    last_id = p.decode_page_token(token)
    if last_id is None:
        raise Refusal(p.invalid_request(f"The `{token_param}` query parameter value [{token}] is not valid",
                                        parameter=token_param, value=token), 400)
    return int(last_id)


def _timeline(posts: list[FakePost], lowest_max: int, token_param: str) -> tuple[dict, int]:
    """One page, newest first; the page token marks the oldest id already served."""
    size, since, until = _max_results(lowest_max), _id_arg("since_id"), _id_arg("until_id")
    before = _page_boundary(token_param)
    selected = [post for post in posts
                if (since is None or int(post.id) > since) and (until is None or int(post.id) < until)
                and (before is None or int(post.id) < before)]
    page, more = selected[:size], len(selected) > size
    payload = _posts_payload(page)
    meta: dict = {"result_count": len(page)}
    if page:
        meta.update(newest_id=page[0].id, oldest_id=page[-1].id)
    if more:
        meta["next_token"] = p.encode_page_token(page[-1].id)
    payload["meta"] = meta
    return payload, 200


def _posts_payload(page: list[FakePost]) -> dict:
    if not page:
        return {}
    users = state().users
    fields = p.requested(request.args.get("tweet.fields"), p.TWEET_FIELDS)
    payload: dict = {"data": [p.post_json(post, fields, users) for post in page]}
    if "author_id" in request.args.get("expansions", "").split(","):
        author_ids = list(dict.fromkeys(post.author_id for post in page))
        found = [p.user_json(users[uid]) for uid in author_ids if uid in users]
        if found:
            payload["includes"] = {"users": found}
        # An author X cannot find (suspended, deleted) is a partial error next to the data.
        missing = [p.user_not_found(uid, "author_id") for uid in author_ids if uid not in users]
        if missing:
            payload["errors"] = missing
    return payload


def _create(caller: Caller) -> tuple[dict, int]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not isinstance(body.get("text"), str) or not body["text"].strip():
        raise Refusal(p.invalid_request("The `text` field is required and must be a non-empty string.",
                                        parameter="text"), 400)
    text, reply_to = body["text"], _reply_target_id(body)
    if is_too_long(text):
        raise Refusal(p.invalid_request("One or more parameters to your request was invalid.",
                                        errors=[{"parameters": {"text": [text]}, "message": p.TOO_LONG_MESSAGE}]), 400)
    fake = state()
    with fake.lock:
        brand = fake.users[caller.user_id]
        if reply_to:
            _check_reply_allowed(fake, reply_to, brand)
        if any(post.author_id == brand.id and not post.deleted and post.text.strip() == text.strip()
               for post in fake.posts.values()):
            raise Refusal(p.blank_problem("Forbidden", p.DUPLICATE_DETAIL, 403), 403)
        quoted = body.get("quote_tweet_id")
        post = fake.add_post(brand.id, text, in_reply_to_tweet_id=reply_to,
                             quote_tweet_id=quoted if isinstance(quoted, str) else None, via_api=True)
    return {"data": {"id": post.id, "text": post.text}}, 201


def _reply_target_id(body: dict) -> str | None:
    reply = body.get("reply")
    if reply is None:
        return None
    target = reply.get("in_reply_to_tweet_id") if isinstance(reply, dict) else None
    if not (isinstance(target, str) and target.isdigit()):
        raise Refusal(p.invalid_request("`reply.in_reply_to_tweet_id` must be a string of digits.",
                                        parameter="reply.in_reply_to_tweet_id"), 400)
    return target


def _check_reply_allowed(fake: FakeState, reply_to: str, brand) -> None:
    target = fake.posts.get(reply_to)
    if target is None or target.deleted:
        raise Refusal(p.blank_problem("Forbidden", p.REPLY_TARGET_GONE_DETAIL, 403), 403)
    quoted = fake.posts.get(target.quoted_id) if target.quoted_id else None
    summoned = (target.author_id == brand.id or target.mentions_username(brand.username)
                or (quoted is not None and quoted.author_id == brand.id))
    if not summoned:
        raise Refusal(p.blank_problem("Forbidden", p.NOT_SUMMONED_DETAIL, 403), 403)


def _delete(caller: Caller, post_id: str) -> tuple[dict, int]:
    fake = state()
    with fake.lock:
        post = fake.posts.get(post_id)
        if post is None or post.deleted:
            raise Refusal(p.problem("resource-not-found", "Not Found Error", f"Could not find tweet with id: [{post_id}].",
                                    404, resource_type="tweet", resource_id=post_id, parameter="id",
                                    value=post_id), 404)
        if post.author_id != caller.user_id:
            raise Refusal(p.blank_problem("Forbidden", "You are not allowed to delete this Tweet.", 403), 403)
        post.deleted = True
    return {"data": {"deleted": True}}, 200
