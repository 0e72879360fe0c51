"""Who may do what: small pure functions shared by views, search, feeds, widgets and the API.

`user` is a User or None for an anonymous visitor. Nothing here touches the database or the
request, so the same answers hold wherever a permission is asked.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Optional

from .models.accounts import Role, STAFF_ROLES
from .models.base import utcnow
from .models.forum import Visibility

if TYPE_CHECKING:
    from .models import Category, Post, Thread, User


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
    if thread.is_private:
        return is_staff(user) or (_signed_in(user) and user.id == thread.author_id)
    return True


def can_read_post(user: Optional["User"], post: "Post") -> bool:
    if not can_read_thread(user, post.thread):
        return False
    if post.deleted_at is not None or post.is_hidden:
        return is_staff(user) or (_signed_in(user) and user.id == post.author_id)
    return True


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
