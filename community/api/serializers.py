"""Rows to plain JSON-ready dicts. Each takes the viewer, so nothing it may not read is included."""
from __future__ import annotations

from datetime import datetime
from typing import Optional

from flask import current_app, url_for

from .. import policies
from ..attachments import service as attachments
from ..models import ApiToken, BridgeCase, Category, Post, Thread, User


def iso(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value is not None else None


def absolute(endpoint: str, **values) -> str:
    return current_app.config["BASE_URL"].rstrip("/") + url_for(endpoint, **values)


def user_ref(user: User) -> dict:
    return {"id": user.id, "username": user.username, "display_name": user.display_name}


def category(row: Category) -> dict:
    return {
        "id": row.id, "name": row.name, "slug": row.slug, "description": row.description,
        "visibility": row.visibility.value, "position": row.position,
        # Stored counters count public threads only, so they reveal nothing private.
        "thread_count": row.thread_count, "post_count": row.post_count,
        "url": absolute("forum.category", slug=row.slug),
    }


def thread(row: Thread) -> dict:
    return {
        "id": row.id, "title": row.title, "slug": row.slug,
        "category": {"id": row.category.id, "slug": row.category.slug, "name": row.category.name},
        "author": user_ref(row.author), "state": row.state.value,
        "is_private": row.is_private, "is_locked": row.is_locked, "is_pinned": row.is_pinned,
        "reply_count": row.reply_count, "tags": [tag.name for tag in row.tags],
        "created_at": iso(row.created_at), "last_activity_at": iso(row.last_activity_at),
        "first_reply_at": iso(row.first_reply_at), "solved_at": iso(row.solved_at),
        "url": absolute("forum.thread", thread_id=row.id, slug=row.slug),
    }


def attachment(row) -> dict:
    """An attachment of a readable post; its URLs answer a bearer token as the post does."""
    base = current_app.config["BASE_URL"].rstrip("/")
    return {
        "id": row.id, "name": row.name, "content_type": row.content_type, "size": row.size_bytes,
        "is_image": row.is_image, "width": row.width, "height": row.height, "url": base + attachments.file_path(row),
        "thumbnail_url": base + attachments.thumbnail_path(row) if row.thumbnail_key else None,
    }


def post(viewer: Optional[User], row: Post, files: list | None = None) -> dict:
    """Deleted and hidden posts stay as placeholders; their text only for the author and staff.
    `files`: the post's attachments when the caller loaded them for many posts at once."""
    readable = policies.can_read_post(viewer, row)
    if readable and files is None:
        files = attachments.by_post([row.id])[row.id]
    return {
        "id": row.id, "thread_id": row.thread_id, "position": row.position, "author": user_ref(row.author),
        "body_markdown": row.body_markdown if readable else None,
        "body_html": row.body_html if readable else None,
        "reply_to_post_id": row.reply_to_post_id,
        "is_deleted": row.deleted_at is not None, "is_hidden": row.is_hidden, "is_pending": row.is_pending,
        "edit_count": row.edit_count, "created_at": iso(row.created_at), "updated_at": iso(row.updated_at),
        "url": absolute("forum.post_permalink", post_id=row.id),
        "attachments": [attachment(item) for item in files or []] if readable else [],
    }


def user(viewer: Optional[User], row: User) -> dict:
    """The public profile for everyone; email, role and account state for staff only."""
    data = {
        **user_ref(row), "bio": row.bio, "created_at": iso(row.created_at),
        "url": absolute("people.profile", username=row.username),
    }
    if policies.can_view_users(viewer):
        data["staff_view"] = {
            "email": row.email, "role": row.role.value, "is_verified_customer": row.is_verified_customer,
            "email_verified": row.email_verified, "last_seen_at": iso(row.last_seen_at),
            "suspended_until": iso(row.suspended_until), "is_banned": row.is_banned, "is_deleted": row.deleted_at is not None,
        }
    return data


def bridge_case(row: BridgeCase) -> dict:
    return {
        "id": row.id, "network": row.network, "conversation_id": row.conversation_id,
        "author_username": row.author_username, "author_name": row.author_name,
        "author_followers": row.author_followers, "status": row.status.value, "summoned": row.summoned,
        "label": row.label, "complaint_score": row.complaint_score, "version": row.version,
        "assigned_to": user_ref(row.assigned_to) if row.assigned_to is not None else None,
        "linked_thread_id": row.linked_thread_id,
        "detected_at": iso(row.detected_at), "last_post_at": iso(row.last_post_at),
        "first_response_at": iso(row.first_response_at),
        "posts": [{"post_id": item.post_id, "text": item.text, "posted_at": iso(item.posted_at)} for item in row.posts],
    }


def token(row: ApiToken) -> dict:
    return {
        "id": row.id, "name": row.name, "kind": row.kind.value, "scopes": list(row.scopes), "prefix": row.prefix,
        "user": user_ref(row.user), "created_at": iso(row.created_at), "expires_at": iso(row.expires_at),
        "last_used_at": iso(row.last_used_at),
    }
