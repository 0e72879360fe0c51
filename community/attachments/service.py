"""Attachments: upload (checked, re-encoded, stored), claim by the post that references them,
read through the post's permission, limits and quotas, the orphan sweep.

An upload belongs to its uploader until a saved post references it (`![x](attachment:12)`); from
then on it is readable exactly when that post is (policies.can_read_attachment), so hiding,
deleting or moving the post changes who can read the file at once: nothing is copied anywhere.
"""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import BinaryIO, Iterable, Optional

from flask import current_app
from sqlalchemy import func, select

from .. import policies
from ..content.attachment_refs import AttachmentRef, referenced_ids
from ..errors import PermissionDenied, ValidationFailed
from ..extensions import db
from ..jobs.registry import job
from ..models import Attachment, Post, SiteSetting, User, utcnow
from ..storage import StorageError, storage
from . import files, images

FOLDER = "attachments"
SETTING_KEY = "attachments"


class UploadRefused(ValidationFailed):
    """An upload the limits or the checks refuse; `status_code` tells which kind."""

    def __init__(self, message: str, status_code: int = 422) -> None:
        super().__init__(message, fields={"file": message})
        self.status_code = status_code


# --- settings ---------------------------------------------------------------------------------


def _saved() -> dict:
    row = db.session.get(SiteSetting, SETTING_KEY)
    return row.value if row is not None and isinstance(row.value, dict) else {}


def allowed_extensions() -> list[str]:
    """The non-image extensions members may attach: the admin's list, else ATTACHMENT_EXTENSIONS."""
    saved = _saved().get("extensions")
    if isinstance(saved, list):
        return files.parse_extensions(" ".join(map(str, saved)))
    return files.parse_extensions(current_app.config["ATTACHMENT_EXTENSIONS"])


def images_only_days() -> int:
    """For how many days after sign-up an account may attach images only (0: no such limit)."""
    saved = _saved().get("new_account_images_only_days")
    return saved if isinstance(saved, int) else int(current_app.config["ATTACHMENT_NEW_ACCOUNT_IMAGES_ONLY_DAYS"])


def images_only_for(user: Optional[User]) -> bool:
    """A new account (younger than images_only_days) may attach images but no other files; staff never."""
    days = images_only_days()
    if user is None or days <= 0 or policies.is_staff(user) or user.created_at is None:
        return False
    return utcnow() - user.created_at < timedelta(days=days)


def parse_days(raw: object) -> int:
    text = str(raw if raw is not None else "").strip() or "0"
    if not text.isdigit() or int(text) > 365:
        raise ValidationFailed("Please fix the marked fields.", fields={
            "new_account_images_only_days": "Enter a whole number of days from 0 (no limit) to 365.",
        })
    return int(text)


def save_extensions(actor: Optional[User], text: str | None, images_only_days_raw: object = None) -> list[str]:
    """The admin's settings: the allowed extensions, and (when given) the images-only days of new accounts."""
    from ..services import audit

    policies.ensure(policies.can_manage_site, actor, message="Only administrators can change attachment settings.")
    before = {"extensions": allowed_extensions(), "new_account_images_only_days": images_only_days()}
    after = {"extensions": files.parse_extensions(text), "new_account_images_only_days": before["new_account_images_only_days"]}
    if images_only_days_raw is not None:
        after["new_account_images_only_days"] = parse_days(images_only_days_raw)
    row = db.session.get(SiteSetting, SETTING_KEY)
    if row is None:
        db.session.add(SiteSetting(key=SETTING_KEY, value=after))
    else:
        row.value = {**_saved(), **after}
    audit.record(actor, "settings.attachments", "setting", None, before=before, after=after)
    db.session.commit()
    return after["extensions"]


def _image_limits() -> images.Limits:
    config = current_app.config
    return images.Limits(
        max_side=int(config["ATTACHMENT_IMAGE_MAX_SIDE"]), thumbnail_side=int(config["ATTACHMENT_THUMBNAIL_SIDE"]),
        max_pixels=int(config["ATTACHMENT_MAX_PIXELS"]), max_frames=int(config["ATTACHMENT_MAX_FRAMES"]),
    )


# --- uploading --------------------------------------------------------------------------------


def size_label(size: int) -> str:
    if size < 1024:
        return f"{size} bytes" if size != 1 else "1 byte"
    if size < 1024 * 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size / (1024 * 1024):.1f} MB".replace(".0 MB", " MB")


def upload(user: Optional[User], raw_name: str | None, stream: BinaryIO) -> Attachment:
    """Check, re-encode and store one upload for `user`; the saved row (not yet on a post)."""
    if not policies.can_upload_attachment(user):
        raise PermissionDenied("Sign in with a confirmed, unsuspended account to attach files.")
    config = current_app.config
    limit = int(config["ATTACHMENT_MAX_BYTES"])
    data = stream.read(limit + 1)
    name = files.clean_name(raw_name)
    if len(data) > limit:
        raise UploadRefused(f"{name} is larger than {size_label(limit)}, the limit for one file.", 413)
    if not data:
        raise UploadRefused(f"{name} is empty (0 bytes); choose the file again.", 400)
    _check_quotas(user, len(data))
    stored = _prepare(name, data, images_only_for(user))
    token = secrets.token_hex(16)
    attachment = Attachment(
        uploader_id=user.id, name=stored.name, is_image=stored.thumbnail is not None, content_type=stored.content_type,
        size_bytes=len(stored.data), original_size_bytes=len(data), width=stored.width, height=stored.height,
        sha256=hashlib.sha256(stored.data).hexdigest(), storage_key=f"{FOLDER}/{token}.{stored.extension}",
        thumbnail_key=f"{FOLDER}/{token}-thumb.webp" if stored.thumbnail is not None else None,
        thumbnail_width=stored.thumbnail_width, thumbnail_height=stored.thumbnail_height,
    )
    store = storage()
    store.save(attachment.storage_key, stored.data, attachment.content_type)  # StorageError: a 503
    try:
        if stored.thumbnail is not None:
            store.save(attachment.thumbnail_key, stored.thumbnail, images.THUMBNAIL_TYPE)
        db.session.add(attachment)
        db.session.commit()
    except Exception:
        db.session.rollback()
        delete_files([attachment.storage_key, attachment.thumbnail_key])
        raise
    return attachment


@dataclass(frozen=True)
class _Stored:
    name: str
    data: bytes
    content_type: str
    extension: str
    width: int | None = None
    height: int | None = None
    thumbnail: bytes | None = None
    thumbnail_width: int | None = None
    thumbnail_height: int | None = None


def _prepare(name: str, data: bytes, images_only: bool = False) -> _Stored:
    """An image re-encoded (whatever its name says), else a file of an allowed, verified type."""
    if images.sniff(data) is not None:
        try:
            image = images.reencode(data, _image_limits())
        except images.ImageRefused as refused:
            raise UploadRefused(f"{name}: {refused}") from None
        return _Stored(
            name=files.with_extension(name, image.extension), data=image.data, content_type=image.content_type,
            extension=image.extension, width=image.width, height=image.height, thumbnail=image.thumbnail,
            thumbnail_width=image.thumbnail_width, thumbnail_height=image.thumbnail_height,
        )
    if files.is_heic(data):  # a phone photo the image adapter could not open
        if images.HEIF_SUPPORTED:
            raise UploadRefused(f"{name}: {images.DAMAGED}")
        raise UploadRefused(f"{name}: {images.HEIF_MISSING}", 415)
    if images_only:
        days = images_only_days()
        raise UploadRefused(
            f"{name}: new accounts can attach images only (PNG, JPEG, GIF, WebP) for their first {days} days. "
            "Paste the text into your post instead, or ask staff to attach the file.", 403,
        )
    try:
        kind = files.check(name, data, allowed_extensions())
    except files.FileRefused as refused:
        raise UploadRefused(f"{name}: {refused}", 415) from None
    return _Stored(name=name, data=data, content_type=kind.content_type, extension=files.extension_of(name))


def _check_quotas(user: User, incoming: int) -> None:
    config = current_app.config
    daily = int(config["ATTACHMENT_DAILY_QUOTA_BYTES"])
    since = utcnow() - timedelta(hours=24)
    today = db.session.scalar(
        select(func.coalesce(func.sum(Attachment.original_size_bytes), 0))
        .where(Attachment.uploader_id == user.id, Attachment.created_at >= since)
    )
    if today + incoming > daily:
        raise UploadRefused(
            f"You have uploaded {size_label(int(today))} in the last 24 hours; the daily limit is {size_label(daily)}. "
            "Try again later, or link the file instead.", 429,
        )
    site = int(config["ATTACHMENT_SITE_QUOTA_BYTES"])
    total = db.session.scalar(select(func.coalesce(func.sum(Attachment.size_bytes), 0)))
    if total + incoming > site:
        raise UploadRefused("The community's file storage is full, so uploads are paused. Staff have been told.", 507)


# --- posts and their attachments --------------------------------------------------------------


def for_body(user: Optional[User], body: str, post: Post | None = None) -> list[Attachment]:
    """The attachments a post's text may show: its own, and the author's unattached uploads.
    Refuses a text that references more than ATTACHMENTS_PER_POST of them."""
    ids = referenced_ids(body)
    if not ids or user is None:
        return []
    mine = (Attachment.post_id.is_(None)) & (Attachment.uploader_id == user.id) & Attachment.removed_at.is_(None)
    own = (Attachment.post_id == post.id) & Attachment.removed_at.is_(None) if post is not None and post.id is not None else None
    rows = db.session.scalars(
        select(Attachment).where(Attachment.id.in_(ids[:1000]), mine if own is None else (mine | own))
    ).all()
    most = int(current_app.config["ATTACHMENTS_PER_POST"])
    if len(rows) > most:
        raise ValidationFailed("Please fix the marked fields.", fields={
            "body": f"A post can show at most {most} attachments; this one references {len(rows)}. Remove some and post again.",
        })
    return sorted(rows, key=lambda row: ids.index(row.id))


def by_post(post_ids: Iterable[int]) -> dict[int, list[Attachment]]:
    """Post id -> its attachments, in one query (API listings)."""
    ids = list(post_ids)
    found: dict[int, list[Attachment]] = {post_id: [] for post_id in ids}
    if ids:
        live = select(Attachment).where(Attachment.post_id.in_(ids), Attachment.removed_at.is_(None))
        for row in db.session.scalars(live.order_by(Attachment.id)):
            found[row.post_id].append(row)
    return found


def of_post(post: Post) -> list[Attachment]:
    """The attachments a stored post has claimed (for rendering it again)."""
    return list(db.session.scalars(
        select(Attachment).where(Attachment.post_id == post.id, Attachment.removed_at.is_(None)).order_by(Attachment.id)
    ))


def counts_by_thread(thread_ids: Iterable[int]) -> dict[int, int]:
    """Thread id -> how many files its posts that every reader of the thread sees carry (not
    deleted, hidden or held; removed files not counted): search results show a paperclip."""
    ids = list(thread_ids)
    if not ids:
        return {}
    rows = db.session.execute(
        select(Post.thread_id, func.count(Attachment.id)).join(Attachment, Attachment.post_id == Post.id)
        .where(Post.thread_id.in_(ids), Post.deleted_at.is_(None), Post.is_hidden.is_(False), Post.is_pending.is_(False),
               Attachment.removed_at.is_(None))
        .group_by(Post.thread_id)
    )
    return {thread_id: count for thread_id, count in rows}


def for_preview(user: Optional[User], body: str) -> list[Attachment]:
    """For a preview (stored nowhere): the referenced attachments this user may read."""
    ids = referenced_ids(body)[:100]
    rows = db.session.scalars(select(Attachment).where(Attachment.id.in_(ids), Attachment.removed_at.is_(None))).all() if ids else []
    return [row for row in rows if policies.can_read_attachment(user, row)]


def claim(files_: Iterable[Attachment], post: Post) -> None:
    """In the caller's transaction: these uploads now belong to `post` (and read as it does)."""
    now = utcnow()
    for attachment in files_:
        if attachment.post_id is None:
            attachment.post, attachment.attached_at = post, now


def references(files_: Iterable[Attachment]) -> dict[int, AttachmentRef]:
    """What the Markdown renderer needs to show each attachment (paths only: no url_for here)."""
    return {attachment.id: reference(attachment) for attachment in files_}


def reference(attachment: Attachment) -> AttachmentRef:
    return AttachmentRef(
        id=attachment.id, url=file_path(attachment), name=attachment.name, size_label=size_label(attachment.size_bytes),
        type_label=type_label(attachment), is_image=attachment.is_image,
        thumbnail_url=thumbnail_path(attachment) if attachment.thumbnail_key else None,
        thumbnail_width=attachment.thumbnail_width, thumbnail_height=attachment.thumbnail_height,
    )


def type_label(attachment: Attachment) -> str:
    if attachment.is_image:
        return images.LABELS.get(attachment.content_type.split("/")[-1].upper().replace("JPG", "JPEG"), "Image")
    kind = files.KNOWN.get(files.extension_of(attachment.name))
    return kind.label if kind else "File"


def file_path(attachment: Attachment) -> str:
    from urllib.parse import quote

    return f"/attachments/{attachment.id}/{quote(attachment.name, safe='')}"


def thumbnail_path(attachment: Attachment) -> str:
    return f"/attachments/{attachment.id}/thumbnail"


# --- reading ----------------------------------------------------------------------------------


def readable(user: Optional[User], attachment_id: int) -> Attachment:
    """The attachment if `user` may read it; NotFound otherwise, the same as for one that never was."""
    from ..services.forum import Unreadable

    attachment = db.session.get(Attachment, attachment_id)
    if attachment is None or attachment.removed_at is not None or not policies.can_read_attachment(user, attachment):
        raise Unreadable()  # the forum's one 404 for missing and closed alike (no existence oracle)
    return attachment


# --- lifecycle --------------------------------------------------------------------------------


def delete_files(keys: Iterable[str | None]) -> bool:
    """Delete the stored files; False when the store refused one (the row stays for the next sweep)."""
    store, done = storage(), True
    for key in keys:
        if key:
            try:
                store.delete(key)
            except StorageError:
                current_app.logger.warning("could not delete attachment file %s; the next sweep retries", key)
                done = False
    return done


@job("attachments.remove_orphans")
def remove_orphans() -> int:
    """Scheduled: uploads no post claimed within ATTACHMENT_ORPHAN_HOURS go, files first, and at
    once those of deleted accounts (nobody can read or post them any more). Files already on posts
    stay with the posts, which outlive the account under "Former member". Safe twice."""
    cutoff = utcnow() - timedelta(hours=int(current_app.config["ATTACHMENT_ORPHAN_HOURS"]))
    deleted = select(User.id).where(User.deleted_at.is_not(None))
    rows = db.session.scalars(
        select(Attachment).where(
            Attachment.post_id.is_(None), (Attachment.created_at < cutoff) | Attachment.uploader_id.in_(deleted),
        ).limit(500)
    ).all()
    removed = 0
    for attachment in rows:
        if delete_files([attachment.storage_key, attachment.thumbnail_key]):
            db.session.delete(attachment)
            removed += 1
    db.session.commit()
    return removed
