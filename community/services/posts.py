"""Replies, edits with revision history, soft delete and restore, quotes and previews."""
from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Callable, Optional

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from .. import policies
from ..errors import Conflict, NotFound, PermissionDenied
from ..extensions import db
from ..models import Post, PostRevision, Thread, User, utcnow
from ..attachments import service as attachments
from ..composer import cleanup as drafts
from ..tags import service as tag_service
from . import audit, notifications
from .forum import Unreadable, post_for_viewer, thread_for_viewer
from .spam import screen_new_post
from .threads import (
    clean_body,
    clean_title,
    count_new_post,
    posting_refusal,
    refresh_counters,
    render_body,
    require_valid,
    slugify,
)


# --- replying ---------------------------------------------------------------------------------


def require_can_reply(user: Optional[User], thread: Thread) -> None:
    if not policies.can_post(user):
        raise PermissionDenied(posting_refusal(user))
    if thread.deleted_at is not None:
        raise PermissionDenied("This thread was deleted, so it no longer takes replies.")
    if not policies.can_reply(user, thread):
        if thread.is_locked or thread.state.value == "closed":
            raise PermissionDenied("This thread is locked, so it no longer takes replies.")
        raise PermissionDenied("You can't reply in this thread.")


def reply_target(user: Optional[User], thread_id: int) -> Thread:
    """The thread a reply goes to; deleted threads answer 403 (not 404) to anyone who could reply."""
    thread = db.session.get(Thread, thread_id)
    if thread is None:
        raise Unreadable()  # as for a thread the user may not read (forum.thread_for_viewer)
    if thread.deleted_at is None:
        thread_for_viewer(user, thread_id)
    require_can_reply(user, thread)
    return thread


def create_reply(
    user: Optional[User], thread_id: int, body: str | None, reply_to_post_id: int | None = None,
    *, before_commit: Callable[[Post], None] | None = None,
) -> Post:
    """`before_commit(reply)` lets a caller add to the same transaction (an official answer's mark)."""
    thread = reply_target(user, thread_id)
    body, problem = clean_body(body)
    require_valid({"body": problem})
    files = attachments.for_body(user, body)
    reply = Post(
        thread=thread, author=user, position=_next_position(thread), body_markdown=body,
        body_html=render_body(body, files), reply_to_post_id=_same_thread_post(thread, reply_to_post_id),
    )
    db.session.add(reply)
    attachments.claim(files, reply)
    screen_new_post(user, reply)
    try:
        count_new_post(thread, reply)
        if before_commit is not None:
            before_commit(reply)
        notifications.follow_thread(user.id, thread.id)  # in this transaction: the next page shows it
        drafts.forget_reply_draft(user.id, thread.id)  # posted: the composer's draft is done
        db.session.commit()
    except IntegrityError as error:
        # Two replies raced for the same position; the UniqueConstraint caught it.
        db.session.rollback()
        raise Conflict("Someone replied at the same moment. Please send your reply again.") from error
    if not reply.is_pending:  # held posts are announced when staff approve them
        notifications.publish("post_created", thread_id=thread.id, post_id=reply.id, actor_id=user.id)
    return reply


def _next_position(thread: Thread) -> int:
    # Lock the thread row (PostgreSQL; SQLite serialises writers anyway) so concurrent replies
    # take positions one after another instead of colliding.
    db.session.execute(select(Thread.id).where(Thread.id == thread.id).with_for_update())
    highest = db.session.scalar(select(func.max(Post.position)).where(Post.thread_id == thread.id))
    return (highest or 0) + 1


def _same_thread_post(thread: Thread, post_id: int | None) -> int | None:
    if post_id is None:
        return None
    post = db.session.get(Post, post_id)
    return post.id if post is not None and post.thread_id == thread.id else None


# --- editing ----------------------------------------------------------------------------------


def editable_post(user: Optional[User], post_id: int) -> Post:
    post = post_for_viewer(user, post_id)
    if not policies.can_edit_post(user, post):
        raise PermissionDenied("You can't edit this post.")
    return post


def edit_post(
    user: Optional[User], post_id: int, body: str | None, title: str | None = None, reason: str = "",
    tags: str | None = None,
) -> Post:
    """Change a post (and, for an opening post, the thread title and tags), keeping the old text
    as a revision. title=None and tags=None keep the thread's."""
    post = editable_post(user, post_id)
    thread = post.thread
    body, body_problem = clean_body(body)
    keep_or_new = thread.title if title is None else title
    new_title, title_problem = clean_title(keep_or_new) if post.is_opening else (None, None)
    new_tags, tags_problem = tag_service.resolve(tags) if post.is_opening and tags is not None else (None, None)
    require_valid({"title": title_problem, "body": body_problem, "tags": tags_problem})
    files = attachments.for_body(user, body, post)
    old_title = thread.title if post.is_opening else None
    old_tags = [tag.name for tag in thread.tags] if new_tags is not None else []
    retagged = new_tags is not None and tag_service.set_thread_tags(thread, new_tags)
    if retagged and user.id != post.author_id:  # staff changing someone else's tags: the act is audited
        audit.record(user, "thread.retag", "thread", thread.id, before={"tags": old_tags},
                     after={"tags": [tag.name for tag in thread.tags]}, reason=reason)
    drafts.forget_edit_draft(user.id, post.id)  # saved (even unchanged): the edit's draft is done
    if body == post.body_markdown and new_title == old_title:
        db.session.commit()
        return post
    db.session.add(PostRevision(
        post_id=post.id, number=post.edit_count + 1, editor_id=user.id, old_title=old_title,
        old_body=post.body_markdown, new_title=new_title, new_body=body, reason=" ".join(reason.split())[:300],
    ))
    if user.id != post.author_id:
        # Staff editing someone else's words: the revision keeps the text, the audit log the act.
        audit.record(user, "post.edit", "post", post.id, before={"title": old_title, "body": post.body_markdown},
                     after={"title": new_title, "body": body, "revision": post.edit_count + 1}, reason=reason)
    post.body_markdown, post.body_html = body, render_body(body, files)
    attachments.claim(files, post)
    post.edit_count += 1
    post.updated_at = utcnow()
    if new_title is not None and new_title != old_title:
        thread.title, thread.slug = new_title, slugify(new_title)
    db.session.commit()
    return post


# --- delete and restore -----------------------------------------------------------------------


def delete_post(user: Optional[User], post_id: int, reason: str = "") -> Post:
    """Soft-delete a post; deleting the opening post soft-deletes the whole thread."""
    post = post_for_viewer(user, post_id)
    if post.deleted_at is not None:
        return post
    if not policies.can_delete_post(user, post):
        raise PermissionDenied("You can't delete this post.")
    now = utcnow()
    if user.id != post.author_id:
        audit.record(user, "post.delete", "post", post.id, before={"deleted": False},
                     after={"deleted": True, "thread_deleted": post.is_opening}, reason=reason)
    post.deleted_at, post.deleted_by_id = now, user.id
    if post.is_opening:
        post.thread.deleted_at = now
    refresh_counters(post.thread)
    db.session.commit()
    return post


def restore_post(user: Optional[User], post_id: int) -> Post:
    post = db.session.get(Post, post_id)
    if post is None or not policies.is_staff(user):
        raise NotFound("There is no such post.")
    if not policies.can_restore_post(user, post):
        return post
    if user.id != post.author_id:
        audit.record(user, "post.restore", "post", post.id, before={"deleted": True}, after={"deleted": False})
    post.deleted_at, post.deleted_by_id = None, None
    if post.is_opening:
        post.thread.deleted_at = None
    refresh_counters(post.thread)
    db.session.commit()
    return post


# --- revisions --------------------------------------------------------------------------------


@dataclass(frozen=True)
class DiffLine:
    kind: str  # "added", "removed" or "same"
    text: str


@dataclass(frozen=True)
class RevisionView:
    revision: PostRevision
    title_changed: bool
    body_diff: list[DiffLine]


_DIFF_KINDS = {"+ ": "added", "- ": "removed", "  ": "same"}


def line_diff(old: str, new: str) -> list[DiffLine]:
    """Line-by-line diff as plain data; the template escapes every line."""
    lines = difflib.ndiff(old.splitlines(), new.splitlines())
    return [DiffLine(_DIFF_KINDS[line[:2]], line[2:]) for line in lines if line[:2] in _DIFF_KINDS]


def post_revisions(user: Optional[User], post_id: int) -> tuple[Post, list[RevisionView]]:
    post = post_for_viewer(user, post_id)
    if not policies.can_view_revisions(user, post):
        raise PermissionDenied("Only the author and staff can see the edit history.")
    revisions = db.session.scalars(
        select(PostRevision).where(PostRevision.post_id == post.id).order_by(PostRevision.number.desc())
    )
    views = [
        RevisionView(rev, rev.old_title != rev.new_title and rev.new_title is not None, line_diff(rev.old_body, rev.new_body))
        for rev in revisions
    ]
    return post, views


# --- quoting and previews ---------------------------------------------------------------------


def quote_markdown(user: Optional[User], post_id: int, post_url: str) -> str:
    """A blockquote that names and links the quoted post, ready to drop into a reply box."""
    post = post_for_viewer(user, post_id)
    if not policies.can_read_post(user, post) or post.deleted_at is not None:
        raise NotFound("There is no such post.")
    quoted = "\n".join(f"> {line}" if line else ">" for line in post.body_markdown.splitlines())
    return f"> [quote from @{post.author.username}]({post_url})\n>\n{quoted}\n\n"


def preview_html(user: Optional[User], body: str | None) -> str:
    if not policies.can_post(user):
        raise PermissionDenied(posting_refusal(user))
    body, problem = clean_body(body)
    if problem and body:
        require_valid({"body": problem})
    return render_body(body, attachments.for_preview(user, body)) if body else ""
