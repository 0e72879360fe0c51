"""Notification emails: what each kind says, links back, and signed one-click unsubscribe links.

Unsubscribe tokens are signed (itsdangerous) over the user id and a kind, without expiry: a link in
an old email must keep working, and using it twice only repeats the same change.
"""
from __future__ import annotations

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer

from .. import policies
from ..attachments import service as attachments
from ..extensions import db
from ..models import Notification, User
from .branding import get_branding
from .mail import absolute_url, base_url, send_email
from .notification_kinds import ALL_KINDS, KINDS
from .tokens import TokenInvalid

UNSUBSCRIBE = "unsubscribe"
# Kinds about one post: their emails and digest lines quote it.
POST_KINDS = frozenset({"reply", "mention", "followed", "watched_thread", "watched_post"})

SUBJECTS = {
    "reply": "{actor} replied to “{title}”",
    "mention": "{actor} mentioned you in “{title}”",
    "followed": "New reply in “{title}”",
    "watched_thread": "{actor} started “{title}” in {category}",
    "watched_post": "New post in “{title}” ({category})",
    "answer_accepted": "Your answer in “{title}” was accepted",
    "answer_verified": "Your answer in “{title}” was verified by staff",
    "thread_made_private": "Your thread “{title}” was made private",
    "thread_moved": "Your thread “{title}” was moved to {category}",
    "thread_closed": "Your thread “{title}” was closed",
    "csat": "How did we do with “{title}”? Tell us in one click",
}


def summary(row: Notification) -> str:
    """One line saying what happened (email subjects, digest lines and the in-app list)."""
    actor = row.actor.display_name if row.actor else "Someone"
    return SUBJECTS[row.kind].format(actor=actor, title=row.thread.title, category=row.thread.category.name)


def target_path_values(row: Notification) -> tuple[str, dict]:
    if row.kind == "csat":
        return "csat.respond", {"thread_id": row.thread_id}
    if row.post_id is not None:
        return "forum.post_permalink", {"post_id": row.post_id}
    return "forum.thread", {"thread_id": row.thread_id, "slug": row.thread.slug}


def target_link(row: Notification) -> str:
    endpoint, values = target_path_values(row)
    return absolute_url(endpoint, **values)


def excerpt(row: Notification, limit: int = 280) -> str:
    if row.post is None or row.kind not in POST_KINDS:
        return ""
    text = " ".join(row.post.body_markdown.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def attachment_links(user: User, row: Notification) -> list[dict[str, str]]:
    """The post's files as links (name, size and type, absolute URL) for the emails about one post:
    only those the recipient may read, and the link itself checks again when it is opened (a
    signed-out click or a thread closed since gets the same 404 as any reader without access)."""
    if row.post is None or row.kind not in POST_KINDS:
        return []
    refs = [attachments.reference(file) for file in attachments.of_post(row.post) if policies.can_read_attachment(user, file)]
    return [{"name": ref.name, "meta": f"{ref.size_label}, {ref.type_label}", "link": base_url() + ref.url} for ref in refs]


# --- unsubscribe tokens ------------------------------------------------------------------------


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="parley.unsubscribe")


def unsubscribe_token(user_id: int, kind: str) -> str:
    return _serializer().dumps({"uid": user_id, "kind": kind})


def read_unsubscribe_token(token: str) -> tuple[User, str]:
    """The user and kind a link names; TokenInvalid for a forged, truncated or stale link."""

    try:
        payload = _serializer().loads(token)
    except BadSignature:
        raise TokenInvalid("invalid", UNSUBSCRIBE) from None
    kind = payload.get("kind") if isinstance(payload, dict) else None
    user = db.session.get(User, payload.get("uid")) if isinstance(payload, dict) and isinstance(payload.get("uid"), int) else None
    if user is None or (kind not in KINDS and kind != ALL_KINDS):
        raise TokenInvalid("invalid", UNSUBSCRIBE)
    return user, kind


def unsubscribe_headers(link: str) -> dict[str, str]:
    # RFC 2369 + RFC 8058: mail clients offer a one-click button that POSTs to the link.
    return {"List-Unsubscribe": f"<{link}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}


# --- sending ---------------------------------------------------------------------------------


def send_single(user: User, row: Notification) -> None:
    link = absolute_url("notifications.unsubscribe", token=unsubscribe_token(user.id, row.kind))
    send_email(
        user.email, summary(row), "notification", headers=unsubscribe_headers(link),
        user=user, summary=summary(row), excerpt=excerpt(row), link=target_link(row), files=attachment_links(user, row),
        unsubscribe_link=link, kind_label=_kind_label(row.kind),
        settings_link=absolute_url("notifications.preferences"),
    )


def send_digest_email(user: User, rows: list[Notification]) -> None:

    link = absolute_url("notifications.unsubscribe", token=unsubscribe_token(user.id, ALL_KINDS))
    items = [
        {"summary": summary(row), "excerpt": excerpt(row), "link": target_link(row), "files": attachment_links(user, row)}
        for row in rows
    ]
    noun = "update" if len(items) == 1 else "updates"
    send_email(
        user.email, f"Your daily digest from {get_branding()['name']}: {len(items)} {noun}", "digest",
        headers=unsubscribe_headers(link), user=user, items=items, unsubscribe_link=link,
        settings_link=absolute_url("notifications.preferences"),
    )


def _kind_label(kind: str) -> str:

    return KINDS[kind].label
