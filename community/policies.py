"""Who may do what: small pure functions shared by views, search, feeds, widgets and the API.

`user` is a User or None for an anonymous visitor. Nothing here touches the database or the
request, so the same answers hold wherever a permission is asked.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Optional

from .errors import PermissionDenied, ServiceError

from .models.accounts import Role, STAFF_ROLES
from .models.base import utcnow
from .models.forum import Visibility

if TYPE_CHECKING:
    from .models import Attachment, Category, Post, Thread, User


def _signed_in(user: Optional["User"]) -> bool:
    return user is not None and getattr(user, "is_authenticated", False) and user.is_active


def is_staff(user: Optional["User"]) -> bool:
    return _signed_in(user) and user.role in STAFF_ROLES


def is_admin(user: Optional["User"]) -> bool:
    return _signed_in(user) and user.role == Role.admin


def is_suspended(user: Optional["User"]) -> bool:
    return _signed_in(user) and user.suspended_until is not None and user.suspended_until > utcnow()


def readable_visibilities(user: Optional["User"]) -> frozenset[Visibility]:
    """The category visibility levels a user may read; queries filter on this set."""
    if not _signed_in(user):
        return frozenset({Visibility.public})
    if is_staff(user):
        return frozenset(Visibility)
    if user.is_verified_customer:
        return frozenset({Visibility.public, Visibility.members, Visibility.customers})
    return frozenset({Visibility.public, Visibility.members})


def reader_id(user: Optional["User"]) -> int | None:
    """The id that unlocks a reader's own private threads; None for anonymous or inactive users."""
    return user.id if _signed_in(user) else None


def can_read_category(user: Optional["User"], category: "Category") -> bool:
    if category.deleted_at is not None:
        return is_staff(user)
    return category.visibility in readable_visibilities(user)


def can_read_thread(user: Optional["User"], thread: "Thread") -> bool:
    if not can_read_category(user, thread.category):
        return False
    if thread.deleted_at is not None:
        return is_staff(user)
    if thread.is_private or thread.is_pending:
        return is_staff(user) or (_signed_in(user) and user.id == thread.author_id)
    return True


def can_read_post(user: Optional["User"], post: "Post") -> bool:
    if not can_read_thread(user, post.thread):
        return False
    if post.deleted_at is not None or post.is_hidden or post.is_pending:
        return is_staff(user) or (_signed_in(user) and user.id == post.author_id)
    return True


def can_be_mentioned(
    candidate: "User", thread: Optional["Thread"] = None, category: Optional["Category"] = None
) -> bool:
    """Whether the composer offers `candidate` for an @mention: an active account that could read
    what is being written (the thread replied to, or the category a new thread goes to). Others
    would never hear of the mention (notifications.may_hear_about), so they are not suggested."""
    if not candidate.is_active:
        return False
    if thread is not None and not can_read_thread(candidate, thread):
        return False
    return category is None or can_read_category(candidate, category)


def can_post(user: Optional["User"]) -> bool:
    """Posting anywhere needs a signed-in, email-verified, unsuspended account."""
    return _signed_in(user) and user.email_verified and not is_suspended(user)


def can_start_thread(user: Optional["User"], category: "Category") -> bool:
    return can_post(user) and category.deleted_at is None and can_read_category(user, category)


def can_reply(user: Optional["User"], thread: "Thread") -> bool:
    if not can_post(user) or not can_read_thread(user, thread):
        return False
    if thread.deleted_at is not None:
        return False
    if thread.is_locked or thread.state.value == "closed":
        return is_staff(user)
    return True


def can_edit_post(user: Optional["User"], post: "Post") -> bool:
    if not _signed_in(user) or not can_read_post(user, post):
        return False
    if is_staff(user):
        return True
    return user.id == post.author_id and post.deleted_at is None and not is_suspended(user)


def can_delete_post(user: Optional["User"], post: "Post") -> bool:
    return can_edit_post(user, post)


def can_restore_post(user: Optional["User"], post: "Post") -> bool:
    return is_staff(user) and post.deleted_at is not None


def can_view_revisions(user: Optional["User"], post: "Post") -> bool:
    return _signed_in(user) and (is_staff(user) or user.id == post.author_id) and can_read_post(user, post)


def can_moderate(user: Optional["User"]) -> bool:
    return is_staff(user)


def can_manage_site(user: Optional["User"]) -> bool:
    return is_admin(user)


def can_view_users(user: Optional["User"]) -> bool:
    return is_staff(user)


def can_change_roles(user: Optional["User"]) -> bool:
    return is_admin(user)


def can_set_verified_customer(user: Optional["User"]) -> bool:
    return is_staff(user)


# --- answers, thread lifecycle, reactions, staff inbox ---------------------------------------------


def is_asker(user: Optional["User"], thread: "Thread") -> bool:
    return _signed_in(user) and user.id == thread.author_id


def _answerable_reply(thread: "Thread", post: "Post") -> bool:
    """A live reply in this (live) thread: never the opening post, a deleted or a hidden one."""
    return (
        post.thread_id == thread.id and post.position > 1 and post.deleted_at is None
        and not post.is_hidden and thread.deleted_at is None
    )


def can_accept_answer(user: Optional["User"], thread: "Thread", post: "Post") -> bool:
    """Only the asker picks, and only while the thread still takes replies."""
    if not is_asker(user, thread) or is_suspended(user) or not can_read_thread(user, thread):
        return False
    if thread.is_locked or thread.state.value == "closed":
        return False
    return _answerable_reply(thread, post)


def can_verify(user: Optional["User"], thread: "Thread", post: "Post") -> bool:
    return is_staff(user) and can_read_thread(user, thread) and _answerable_reply(thread, post)


def can_close_thread(user: Optional["User"], thread: "Thread") -> bool:
    if thread.deleted_at is not None or not can_read_thread(user, thread):
        return False
    return is_staff(user) or (is_asker(user, thread) and not is_suspended(user))


def can_reopen_thread(user: Optional["User"], thread: "Thread") -> bool:
    return can_close_thread(user, thread)


def can_follow(user: Optional["User"], thread: "Thread") -> bool:
    """Following and "I have this problem too" need an account that can read the thread."""
    return _signed_in(user) and thread.deleted_at is None and can_read_thread(user, thread)


def can_report_same_problem(user: Optional["User"], thread: "Thread") -> bool:
    """"I have this problem too" is for other readers: the asker has it already."""
    return can_follow(user, thread) and user.id != thread.author_id


def can_vote_helpful(user: Optional["User"], post: "Post") -> bool:
    if not _signed_in(user) or post.author_id == user.id or post.position == 1:
        return False
    return post.deleted_at is None and not post.is_hidden and can_read_post(user, post)


def can_use_staff_inbox(user: Optional["User"]) -> bool:
    return is_staff(user)


def can_triage_bridge(user: Optional["User"]) -> bool:
    """The X bridge triage inbox: staff read posts found on X and act on cases."""
    return is_staff(user)


def can_admin_bridge(user: Optional["User"]) -> bool:
    """Bridge settings (search keywords, canned responses) are for admins."""
    return is_admin(user)


# --- moderation ------------------------------------------------------------------------------------


def can_flag(user: Optional["User"], post: "Post") -> bool:
    """Any reader with a working account may report someone else's live post."""
    if not _signed_in(user) or not user.email_verified or user.id == post.author_id:
        return False
    return post.deleted_at is None and not post.is_system and can_read_post(user, post)


def can_suspend(actor: Optional["User"], target: "User") -> bool:
    """Staff may suspend or ban customers; only admins may do it to staff, and nobody to themselves."""
    if not can_moderate(actor) or actor.id == target.id:
        return False
    return target.role not in STAFF_ROLES or is_admin(actor)


def can_view_audit_log(user: Optional["User"]) -> bool:
    return is_staff(user)


def can_view_moderation_history(user: Optional["User"]) -> bool:
    """A member's moderation history on their profile: what the audit log says of them."""
    return can_view_audit_log(user)


def can_manage_watched_words(user: Optional["User"]) -> bool:
    return is_admin(user)


# --- embeddable widgets ----------------------------------------------------------------------------


def can_manage_widgets(user: Optional["User"]) -> bool:
    """Marketers build widgets for the brand's site; admins may too."""
    return _signed_in(user) and user.role in (Role.marketer, Role.admin)


# --- service metrics -------------------------------------------------------------------------------


def can_view_metrics(user: Optional["User"]) -> bool:
    """Every staff member sees the dashboard, scoped to their own figures unless they may see all."""
    return is_staff(user)


def can_view_all_metrics(user: Optional["User"]) -> bool:
    """Everyone's figures (and the team's): admins, the role that manages the support team."""
    return is_admin(user)


def can_manage_sla(user: Optional["User"]) -> bool:
    return is_admin(user)


def can_manage_tags(user: Optional["User"]) -> bool:
    """The staff-defined tag list and whether members may make free tags: the admin pages."""
    return is_admin(user)


def can_watch_category(user: Optional["User"], category: "Category") -> bool:
    """Watch, track, mute a category: members who may read it (a deleted one: nobody)."""
    return _signed_in(user) and category.deleted_at is None and can_read_category(user, category)


def can_watch_tag(user: Optional["User"]) -> bool:
    """Tags hold no threads of their own: whoever may open a tag's page may choose its level."""
    return _signed_in(user)


def can_manage_webhooks(user: Optional["User"]) -> bool:
    """Webhook endpoints send community events to other systems and hold signing secrets: admins only."""
    return is_admin(user)


# --- attachments -----------------------------------------------------------------------------------


def can_upload_attachment(user: Optional["User"]) -> bool:
    """Uploading is part of posting: the same working, confirmed, unsuspended account."""
    return can_post(user)


def can_read_attachment(user: Optional["User"], attachment: "Attachment") -> bool:
    """Exactly when its post is readable; before a post claims it, only by its uploader."""
    if attachment.post is None:
        return _signed_in(user) and user.id == attachment.uploader_id
    return can_read_post(user, attachment.post)


# --- identity (single sign-on) -----------------------------------------------------------------------


def can_manage_identity(user: Optional["User"]) -> bool:
    """Sign-in providers decide who becomes staff and hold client secrets: admins only."""
    return is_admin(user)


def can_sign_in_with_password(user: Optional["User"], sso_only: bool, break_glass_emails: frozenset[str]) -> bool:
    """Without SSO_ONLY anyone may; with it, only an admin whose email is a break-glass one."""
    if not sso_only:
        return True
    return user is not None and user.role == Role.admin and user.email_normalized in break_glass_emails


# --- the one raising form ---------------------------------------------------------------------------


def ensure(
    predicate: Callable[..., bool], user: Optional["User"], *objects: Any, message: str,
    error: type[ServiceError] = PermissionDenied,
) -> Optional["User"]:
    """Raise `error(message)` unless `predicate(user, *objects)`; the user otherwise.

    Services name a permission once as `partial(ensure, can_x, message=...)` instead of writing
    the if-raise again: `require_moderator = partial(policies.ensure, policies.can_moderate, ...)`."""
    if not predicate(user, *objects):
        raise error(message)
    return user
