"""JSON shapes of the fake X: posts, users, problems and pagination tokens, as the spec and the
recorded api.twitter.com exchanges show them."""
from __future__ import annotations

import base64
from datetime import datetime

from .state import FakePost, FakeUser

API_VERSION = "2.167"
PROBLEMS = "https://api.x.com/2/problems/"
JSON_TYPE = "application/json; charset=utf-8"
PROBLEM_TYPE = "application/problem+json"

TWEET_FIELDS = {"created_at", "conversation_id", "in_reply_to_user_id", "referenced_tweets", "entities",
                "lang", "author_id"}
USER_FIELDS = {"name", "username", "created_at", "description"}

DUPLICATE_DETAIL = "You are not allowed to create a Tweet with duplicate content."
NOT_SUMMONED_DETAIL = ("Reply to this conversation is not allowed because you have not been mentioned or "
                       "otherwise engaged by the author of the post you are replying to.")
REPLY_TARGET_GONE_DETAIL = "You attempted to reply to a Tweet that is deleted or not visible to you."
TOO_LONG_MESSAGE = ("Your Tweet text is too long. For more information on how X counts characters, visit "
                    "https://help.x.com/en/using-x/how-to-tweet#character-limit")
APP_ONLY_FORBIDDEN = ("Authenticating with OAuth 2.0 Application-Only is forbidden for this endpoint.  "
                      "Supported authentication types are [OAuth 1.0a User Context, OAuth 2.0 User Context].")


def iso_time(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def requested(fields_param: str | None, known: set[str]) -> set[str]:
    return {name for name in (fields_param or "").split(",") if name in known}


def post_json(post: FakePost, fields: set[str], users: dict[str, FakeUser]) -> dict:
    # Default fields exactly as the recordings return them; the rest only when asked for.
    payload: dict = {"edit_history_tweet_ids": [post.id], "id": post.id, "text": post.text}
    optional = {
        "author_id": post.author_id,
        "created_at": iso_time(post.created_at),
        "conversation_id": post.conversation_id,
        "in_reply_to_user_id": post.in_reply_to_user_id,
        "lang": post.lang,
        "referenced_tweets": _references(post),
        "entities": _entities(post, users),
    }
    payload.update({name: value for name, value in optional.items() if name in fields and value})
    return payload


def _references(post: FakePost) -> list[dict]:
    references = []
    if post.replied_to_id:
        references.append({"type": "replied_to", "id": post.replied_to_id})
    if post.quoted_id:
        references.append({"type": "quoted", "id": post.quoted_id})
    return references


def _entities(post: FakePost, users: dict[str, FakeUser]) -> dict:
    by_name = {user.username.lower(): user for user in users.values()}
    mentions = []
    for start, end, username in post.mentions:
        mention = {"start": start, "end": end, "username": username}
        if username.lower() in by_name:
            mention["id"] = by_name[username.lower()].id
        mentions.append(mention)
    return {"mentions": mentions} if mentions else {}


def user_json(user: FakeUser) -> dict:
    return {"id": user.id, "name": user.name, "username": user.username}


def problem(kind: str, title: str, detail: str, status: int, **extra) -> dict:
    return {"title": title, "detail": detail, "type": PROBLEMS + kind, "status": status, **extra}


def server_error(status: int) -> dict:
    title = "Service Unavailable" if status == 503 else "Internal Error"
    return problem("internal-error", title, f"{title}: please retry later.", status)


def blank_problem(title: str, detail: str, status: int) -> dict:
    """The RFC 7807 'about:blank' body X sends for auth, duplicate and forbidden-reply errors."""
    return {"title": title, "detail": detail, "type": "about:blank", "status": status}


def invalid_request(detail: str, **extra) -> dict:
    return problem("invalid-request", "Invalid Request", detail, 400, **extra)


def user_not_found(user_id: str, parameter: str) -> dict:
    return {"value": user_id, "detail": f"Could not find user with {parameter}: [{user_id}].",
            "title": "Not Found Error", "resource_type": "user", "parameter": parameter,
            "resource_id": user_id, "type": PROBLEMS + "resource-not-found"}


def encode_page_token(last_id: str) -> str:
    return base64.b32encode(f"p:{last_id}".encode()).decode().rstrip("=").lower()


def decode_page_token(token: str) -> str | None:
    padded = token.upper() + "=" * (-len(token) % 8)
    try:
        decoded = base64.b32decode(padded).decode()
    except (ValueError, UnicodeDecodeError):
        return None
    prefix, _, last_id = decoded.partition(":")
    return last_id if prefix == "p" and last_id.isdigit() else None
