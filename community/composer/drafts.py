"""Drafts: what a member is writing, saved as they type, restored on any device, gone once posted.

A scope names the composer: "thread:<id>" (the reply box of a thread), "new" (/new),
"new:<category id>" (a category's composer) or "post:<id>" (the edit form of a post). One row per
(user, scope), unique in the database. A draft is its owner's alone, and only while they may still
post there: a thread they can no longer read (moved to a gated category, made private, deleted)
shows no draft and takes none; an edit draft lives while its owner may edit the post (the rules of
posts.editable_post) and the post is not deleted.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from .. import policies
from ..errors import PermissionDenied, ServiceError, ValidationFailed
from ..extensions import db
from ..models import Category, Draft, Post, User
from ..services.forum import Unreadable
from ..services.posts import editable_post, reply_target
from ..services.threads import posting_refusal, require_can_start_thread
from .cleanup import thread_scope

_SCOPE = re.compile(r"^(?:thread:(\d{1,12})|new(?::(\d{1,12}))?|post:(\d{1,12}))$")
TITLE_MAX = 300


class DraftTooLarge(ServiceError):
    status_code = 413


@dataclass(frozen=True)
class Scope:
    key: str
    thread_id: int | None = None
    category_id: int | None = None
    post_id: int | None = None


def parse_scope(raw: object) -> Scope:
    match = _SCOPE.match(raw) if isinstance(raw, str) else None
    if match is None:
        raise ValidationFailed('A draft scope is "thread:<id>", "new", "new:<category id>" or "post:<id>".',
                               fields={"scope": "unknown"})
    thread_id, category_id, post_id = (int(group) if group else None for group in match.groups())
    return Scope(raw, thread_id, category_id, post_id)


def edited_post(user: Optional[User], scope: Scope) -> Post:
    """The post an edit draft is for, while `user` may still edit it (the same errors as the edit
    form); a deleted post takes no draft, even from staff, who may still edit it."""
    if user is None:
        raise PermissionDenied("Sign in to keep drafts.")
    post = editable_post(user, scope.post_id)
    if post.deleted_at is not None:
        raise PermissionDenied("This post was deleted, so its edit is not kept as a draft.")
    return post


def _require_postable(user: Optional[User], scope: Scope) -> None:
    """The composer this scope names is open to `user` (the same errors as posting there)."""
    if scope.post_id is not None:
        edited_post(user, scope)
        return
    if user is None or not policies.can_post(user):
        raise PermissionDenied(posting_refusal(user))
    if scope.thread_id is not None:
        reply_target(user, scope.thread_id)
    elif scope.category_id is not None:
        category = db.session.get(Category, scope.category_id)
        if category is None or category.deleted_at is not None or not policies.can_read_category(user, category):
            raise Unreadable()
        require_can_start_thread(user, category)


def _own(user: User, scope: Scope) -> Draft | None:
    return db.session.scalar(select(Draft).where(Draft.user_id == user.id, Draft.scope == scope.key))


def load(user: Optional[User], raw_scope: object) -> Draft | None:
    """The member's draft for this composer, or None (none kept, or no longer theirs to post)."""
    scope = parse_scope(raw_scope)
    if user is None:
        return None
    try:
        _require_postable(user, scope)
    except ServiceError:
        return None
    return _own(user, scope)


def save(user: Optional[User], raw_scope: object, body: object, title: object = "") -> Draft | None:
    """Keep what the member typed; an empty composer removes the draft (None back)."""
    scope = parse_scope(raw_scope)
    if not isinstance(body, str) or not isinstance(title, str):
        raise ValidationFailed("A draft's body and title are text.", fields={"body": "not text"})
    limit = current_app.config["DRAFT_MAX_LENGTH"]
    if len(body) > limit:
        raise DraftTooLarge(f"This draft is {len(body):,} characters; drafts keep up to {limit:,}. "
                            "Your text is still in the box, but shorten it to have it saved.")
    if len(title) > TITLE_MAX:
        raise DraftTooLarge(f"The title is {len(title):,} characters; drafts keep up to {TITLE_MAX}.")
    _require_postable(user, scope)
    if (not body.strip() and not title.strip()) or _as_saved(scope, body, title):
        discard(user, scope.key)
        return None
    draft = _own(user, scope)
    if draft is None:
        draft = Draft(user_id=user.id, scope=scope.key, thread_id=scope.thread_id, category_id=scope.category_id,
                      post_id=scope.post_id, body=body, title=title)
        try:
            with db.session.begin_nested():
                db.session.add(draft)
                db.session.flush()
        except IntegrityError:  # the same member's other tab saved first: update that row
            draft = _own(user, scope)
    draft.body, draft.title = body, title
    db.session.commit()
    return draft


def _as_saved(scope: Scope, body: str, title: str) -> bool:
    """An edit typed back to the post's saved text is no unsaved edit: nothing to keep."""
    if scope.post_id is None:
        return False
    post = db.session.get(Post, scope.post_id)
    return body == post.body_markdown and (not post.is_opening or title == post.thread.title)


def changed_since(draft: Draft) -> bool:
    """Whether the post an edit draft is for was saved (by someone else) after the draft was."""
    if draft.post_id is None:
        return False
    edited_at = db.session.get(Post, draft.post_id).updated_at
    return edited_at is not None and edited_at > draft.updated_at


def discard(user: Optional[User], raw_scope: object) -> bool:
    """Remove the member's draft for this composer; True when there was one."""
    scope = parse_scope(raw_scope)
    if user is None:
        raise PermissionDenied("Sign in to keep drafts.")
    draft = _own(user, scope)
    if draft is None:
        return False
    db.session.delete(draft)
    db.session.commit()
    return True


__all__ = ["DraftTooLarge", "Scope", "changed_since", "discard", "edited_post", "load", "parse_scope", "save",
           "thread_scope"]
