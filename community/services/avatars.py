"""Avatars: uploads checked and re-encoded with Pillow, or a generated initials SVG."""
from __future__ import annotations

import io
import logging
import secrets
import warnings
from typing import BinaryIO

from flask import current_app
from markupsafe import escape
from PIL import Image, ImageOps, UnidentifiedImageError

from ..errors import ValidationFailed
from ..extensions import db
from ..models import User
from ..storage import StorageError, storage, valid_key

ALLOWED_FORMATS = frozenset({"PNG", "JPEG", "GIF", "WEBP"})
MAX_SIDE = 256
# Far above any real avatar; stops decompression bombs before Pillow allocates them.
MAX_PIXELS = 40_000_000
AVATAR_DIR = "avatars"
log = logging.getLogger(__name__)
PALETTE = ("#1f5eff", "#0f766e", "#b45309", "#7c3aed", "#be123c", "#15803d", "#0369a1", "#a21caf")


class ImageTooLarge(ValidationFailed):
    status_code = 413


def set_avatar(user: User, upload: BinaryIO) -> User:
    png = normalise_image(_read_limited(upload))
    relative = f"{AVATAR_DIR}/{user.id}-{secrets.token_hex(6)}.png"
    storage().save(relative, png, "image/png")
    return _replace_avatar(user, relative)


def remove_avatar(user: User) -> User:
    return _replace_avatar(user, None)


def _replace_avatar(user: User, relative: str | None) -> User:
    # The old file goes only after the commit, so a failed commit never leaves a dangling path.
    old = user.avatar_path
    user.avatar_path = relative
    db.session.commit()
    delete_file(old)
    return user


def _read_limited(upload: BinaryIO) -> bytes:
    limit = int(current_app.config["AVATAR_MAX_BYTES"])
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise ImageTooLarge(fields={"avatar": f"The image is too large. The limit is {_megabytes(limit)}."})
    if not data:
        raise ValidationFailed(fields={"avatar": "Choose an image file to upload."})
    return data


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB".replace(".0 MB", " MB")


def normalise_image(data: bytes) -> bytes:
    """A real PNG/JPEG/GIF/WebP, re-encoded as a PNG of at most 256x256 with no metadata."""
    image = _open_checked(data)
    image = ImageOps.exif_transpose(image).convert("RGBA")
    image.thumbnail((MAX_SIDE, MAX_SIDE))
    # A fresh image carries pixels only: no EXIF, ICC profile or text chunks survive.
    clean = Image.new("RGBA", image.size)
    clean.paste(image)
    out = io.BytesIO()
    clean.save(out, format="PNG", optimize=True)
    return out.getvalue()


def _open_checked(data: bytes) -> Image.Image:
    not_an_image = ValidationFailed(fields={"avatar": "This file is not a PNG, JPEG, GIF or WebP image."})
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            probe = Image.open(io.BytesIO(data))
            if probe.format not in ALLOWED_FORMATS:
                raise not_an_image
            if probe.width * probe.height > MAX_PIXELS:
                raise ValidationFailed(fields={"avatar": "The image has too many pixels."})
            probe.verify()
            image = Image.open(io.BytesIO(data))
            image.load()
    except ValidationFailed:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning, OSError, SyntaxError, ValueError):
        raise not_an_image from None
    return image


def delete_file(relative: str | None) -> None:
    if _is_avatar_key(relative):
        try:
            storage().delete(relative)
        except StorageError:
            # The row no longer points at it; an orphaned object costs bytes, not correctness.
            log.warning("could not delete avatar %s from storage", relative)


def avatar_png(relative: str | None) -> bytes | None:
    """The stored PNG for an avatar path, only if the path names a file in the avatar folder."""
    return storage().read(relative) if _is_avatar_key(relative) else None


def _is_avatar_key(relative: str | None) -> bool:
    return valid_key(relative) and relative.startswith(f"{AVATAR_DIR}/")


def initials(name: str) -> str:
    words = [word for word in name.split() if word[:1].isalnum()]
    letters = "".join(word[0] for word in words[:2]) or (name[:1] if name[:1].isalnum() else "?")
    return letters.upper()


def initials_svg(user: User) -> str:
    colour = PALETTE[user.id % len(PALETTE)]
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" width="128" height="128" viewBox="0 0 128 128" role="img">'
        f'<rect width="128" height="128" rx="64" fill="{colour}"/>'
        '<text x="50%" y="50%" dy=".35em" text-anchor="middle" fill="#ffffff" '
        'font-family="system-ui, sans-serif" font-size="52" font-weight="600">'
        f"{escape(initials(user.display_name))}</text></svg>"
    )
