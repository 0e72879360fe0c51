"""Attachment moderation: a reader flags one file, staff remove it or dismiss the flags.

Removing keeps the row (the flags and the audit log point at it) but deletes the stored bytes and
renders the post again, so the file is gone from the thread, search, the API, emails and its URL
at once. Every staff action writes its audit row in the same transaction as the change.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from .. import policies
from ..errors import Conflict, NotFound, PermissionDenied
from ..extensions import db
from ..models import User, utcnow
from ..models.attachments import Attachment, AttachmentFlag
from ..services import audit
from ..services.moderation import clean_reason, parse_flag_reason, require_moderator
from ..services.threads import render_body
from . import service


def flag_file(user: Optional[User], attachment_id: int, reason: str | None, note: str | None = "") -> AttachmentFlag:
    """One flag per reader per file (the database enforces it). Only a reader of the file may flag
    it; anyone else gets the same 404 as for a file that never was."""
    attachment = service.readable(user, attachment_id)
    if attachment.post is None or not policies.can_flag(user, attachment.post) or user.id == attachment.uploader_id:
        raise PermissionDenied("You can't flag this file.")
    flag = AttachmentFlag(
        attachment_id=attachment.id, user_id=user.id, reason=parse_flag_reason(reason), note=clean_reason(note, "note"),
    )
    db.session.add(flag)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise Conflict("You already flagged this file. Staff will review it.") from None
    return flag


@dataclass
class FlaggedFile:
    attachment: Attachment
    flags: list[AttachmentFlag] = field(default_factory=list)


def flagged_files(actor: Optional[User], limit: int = 100) -> list[FlaggedFile]:
    """Files with open flags, oldest flag first (the moderation queue's second list)."""
    require_moderator(actor)
    rows = db.session.scalars(
        select(AttachmentFlag).join(Attachment, Attachment.id == AttachmentFlag.attachment_id)
        .where(AttachmentFlag.resolved_at.is_(None), Attachment.removed_at.is_(None))
        .order_by(AttachmentFlag.id).limit(limit * 5)
    ).unique()
    found: dict[int, FlaggedFile] = {}
    for flag in rows:
        found.setdefault(flag.attachment_id, FlaggedFile(flag.attachment)).flags.append(flag)
    return list(found.values())[:limit]


def _resolve(actor: User, attachment_id: int, resolution: str) -> int:
    result = db.session.execute(
        update(AttachmentFlag).where(AttachmentFlag.attachment_id == attachment_id, AttachmentFlag.resolved_at.is_(None))
        .values(resolved_at=utcnow(), resolved_by_id=actor.id, resolution=resolution)
    )
    return result.rowcount or 0


def _existing(attachment_id: int) -> Attachment:
    attachment = db.session.get(Attachment, attachment_id)
    if attachment is None:
        raise NotFound("There is no such file.")
    return attachment


def dismiss_file_flags(actor: Optional[User], attachment_id: int, reason: str = "") -> int:
    require_moderator(actor)
    attachment = _existing(attachment_id)
    count = _resolve(actor, attachment.id, "dismissed")
    audit.record(actor, "attachment_flags.dismiss", "attachment", attachment.id, before={"open_flags": count},
                 after={"open_flags": 0}, reason=clean_reason(reason))
    db.session.commit()
    return count


def remove_file(actor: Optional[User], attachment_id: int, reason: str = "") -> Attachment:
    """Staff remove a file: never served again, gone from its post's text, its bytes deleted after
    the commit. Removing it twice changes nothing more."""
    require_moderator(actor)
    attachment = _existing(attachment_id)
    if attachment.removed_at is not None:
        return attachment
    attachment.removed_at, attachment.removed_by_id = utcnow(), actor.id
    flags = _resolve(actor, attachment.id, "removed")
    post = attachment.post
    if post is not None:
        post.body_html = render_body(post.body_markdown, service.of_post(post))  # of_post skips removed files
    audit.record(actor, "attachment.remove", "attachment", attachment.id,
                 before={"name": attachment.name, "post_id": attachment.post_id, "open_flags": flags},
                 after={"removed": True}, reason=clean_reason(reason))
    db.session.commit()
    service.delete_files([attachment.storage_key, attachment.thumbnail_key])  # a refusal leaves bytes nobody is served
    return attachment
