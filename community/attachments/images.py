"""The image adapter: the only module of this domain that imports Pillow.

`sniff` tells whether bytes are an image Parley re-encodes; `reencode` decodes and re-encodes it
(orientation applied, EXIF, GPS and every other metadata dropped, oversized images scaled down,
animations kept within a frame limit) and makes a thumbnail. The bytes a member sent are never
stored, so a file that is both a GIF and an HTML page is stored as a GIF only.
"""
from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, ImageSequence, UnidentifiedImageError

# The decoders Pillow may use: never the others (EPS would start Ghostscript, for one).
FORMATS = ("PNG", "JPEG", "GIF", "WEBP")
EXTENSIONS = {"PNG": "png", "JPEG": "jpg", "GIF": "gif", "WEBP": "webp"}
CONTENT_TYPES = {"PNG": "image/png", "JPEG": "image/jpeg", "GIF": "image/gif", "WEBP": "image/webp"}
LABELS = {"PNG": "PNG image", "JPEG": "JPEG image", "GIF": "GIF image", "WEBP": "WebP image"}
THUMBNAIL_TYPE = "image/webp"


class ImageRefused(ValueError):
    """The bytes are an image Parley will not keep; the message says why, for the member."""


@dataclass(frozen=True)
class Limits:
    max_side: int
    thumbnail_side: int
    max_pixels: int
    max_frames: int


@dataclass(frozen=True)
class Reencoded:
    data: bytes
    format: str  # one of FORMATS
    width: int
    height: int
    frames: int
    thumbnail: bytes
    thumbnail_width: int
    thumbnail_height: int

    @property
    def content_type(self) -> str:
        return CONTENT_TYPES[self.format]

    @property
    def extension(self) -> str:
        return EXTENSIONS[self.format]


def sniff(data: bytes) -> str | None:
    """The image format the bytes start as (PNG, JPEG, GIF, WEBP; BOMB past Pillow's own pixel
    limit), or None; reads the header only."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with Image.open(io.BytesIO(data), formats=FORMATS) as image:
                return image.format
    except Image.DecompressionBombError:
        return "BOMB"  # an image, and one reencode refuses
    except (UnidentifiedImageError, OSError, ValueError):
        return None


def reencode(data: bytes, limits: Limits) -> Reencoded:
    with warnings.catch_warnings():
        # Pillow warns past MAX_IMAGE_PIXELS and raises past twice that; both are refusals here.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(data), formats=FORMATS) as image:
                return _reencode_open(image, limits)
        except ImageRefused:
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise ImageRefused(_bomb_message()) from None
        except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError) as error:
            raise ImageRefused("This image is damaged or incomplete, so it can't be shown. Save it again and retry.") from error


def _bomb_message() -> str:
    return "This image decodes to far more pixels than any screenshot or photo; it was refused."


def _reencode_open(image: Image.Image, limits: Limits) -> Reencoded:
    source_format = image.format
    width, height = image.size
    frames = getattr(image, "n_frames", 1) if source_format in ("GIF", "WEBP") else 1
    if width * height * max(frames, 1) > limits.max_pixels or width * height == 0:
        raise ImageRefused(_bomb_message())
    if frames > limits.max_frames:
        raise ImageRefused(f"This animation has {frames} frames; the limit is {limits.max_frames}.")
    if frames > 1:
        out_frames, durations = [], []
        loop = image.info.get("loop", 0)
        for frame in ImageSequence.Iterator(image):
            durations.append(int(frame.info.get("duration", 100) or 100))
            out_frames.append(_clean(frame.convert("RGBA"), limits.max_side))
        data = _save_animation(out_frames, durations, loop, source_format)
        first = out_frames[0]
    else:
        image.load()  # a truncated file fails here, before anything is stored
        first = _clean(ImageOps.exif_transpose(image), limits.max_side)
        data = _save_still(first, source_format)
    thumbnail = _thumbnail(first, limits.thumbnail_side)
    return Reencoded(
        data=data.getvalue(), format=source_format, width=first.width, height=first.height, frames=frames,
        thumbnail=thumbnail[0], thumbnail_width=thumbnail[1], thumbnail_height=thumbnail[2],
    )


def _clean(image: Image.Image, max_side: int) -> Image.Image:
    """A fresh image with the pixels only (no EXIF, GPS, ICC or text chunks), scaled to fit."""
    mode = "RGBA" if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info else "RGB"
    pixels = image.convert(mode)
    if max(pixels.size) > max_side:
        pixels.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    clean = Image.new(mode, pixels.size)
    clean.paste(pixels)
    return clean


def _save_still(image: Image.Image, source_format: str) -> io.BytesIO:
    out = io.BytesIO()
    if source_format == "JPEG":
        image.convert("RGB").save(out, format="JPEG", quality=88, optimize=True)
    elif source_format == "WEBP":
        image.save(out, format="WEBP", quality=88)
    else:  # PNG, and a GIF of one frame
        image.save(out, format=source_format, optimize=source_format == "PNG")
    return out


def _save_animation(frames: list[Image.Image], durations: list[int], loop: int, source_format: str) -> io.BytesIO:
    out = io.BytesIO()
    options = {"save_all": True, "append_images": frames[1:], "duration": durations, "loop": int(loop or 0)}
    if source_format == "GIF":
        frames[0].save(out, format="GIF", disposal=2, **options)
    else:
        frames[0].save(out, format="WEBP", quality=80, **options)
    return out


def _thumbnail(image: Image.Image, side: int) -> tuple[bytes, int, int]:
    small = image.copy()
    small.thumbnail((side, side), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    small.save(out, format="WEBP", quality=80)
    return out.getvalue(), small.width, small.height
