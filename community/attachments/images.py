"""The image adapter: the only module of this domain that imports Pillow.

`sniff` tells whether bytes are an image Parley re-encodes; `reencode` decodes and re-encodes it
(orientation applied, EXIF, GPS and every other metadata dropped, oversized images scaled down,
animations kept within a frame limit) and makes a thumbnail. The bytes a member sent are never
stored, so a file that is both a GIF and an HTML page is stored as a GIF only.

HEIC/HEIF (phone photos) is decoded by pillow-heif when it is installed, and stored as JPEG (WebP
when it has transparency), since browsers other than Safari do not show HEIC. Its opener is
registered here and nowhere else; without it `HEIF_SUPPORTED` is False and the service refuses
such photos by name.
"""
from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, ImageSequence, UnidentifiedImageError

try:
    import pillow_heif
except ImportError:  # an optional decoder: the rest of the module works without it
    pillow_heif = None
else:
    pillow_heif.register_heif_opener()

HEIF_SUPPORTED = pillow_heif is not None
# The decoders Pillow may use: never the others (EPS would start Ghostscript, for one).
FORMATS = ("PNG", "JPEG", "GIF", "WEBP") + (("HEIF",) if HEIF_SUPPORTED else ())
# What is stored, keyed by what is saved: HEIF is read, never written.
EXTENSIONS = {"PNG": "png", "JPEG": "jpg", "GIF": "gif", "WEBP": "webp"}
CONTENT_TYPES = {"PNG": "image/png", "JPEG": "image/jpeg", "GIF": "image/gif", "WEBP": "image/webp"}
LABELS = {"PNG": "PNG image", "JPEG": "JPEG image", "GIF": "GIF image", "WEBP": "WebP image"}
THUMBNAIL_TYPE = "image/webp"


DAMAGED = "This image is damaged or incomplete, so it can't be shown. Save it again and retry."
HEIF_MISSING = ("HEIC and HEIF photos can't be read on this community yet. Export the photo as a JPEG "
                "(most phones and Photos apps offer it when sharing) and attach that.")


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
    format: str  # what was saved: a key of EXTENSIONS
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
    """The image format the bytes start as (one of FORMATS; BOMB past Pillow's own pixel limit),
    or None; reads the header only."""
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
            raise ImageRefused(DAMAGED) from error


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
        first, saved_format = out_frames[0], source_format
    else:
        image.load()  # a truncated file fails here, before anything is stored
        # pillow-heif has already applied HEIF's own rotation and set the EXIF tag to 1.
        first = _clean(ImageOps.exif_transpose(image), limits.max_side)
        saved_format = _still_format(source_format, first)
        data = _save_still(first, saved_format)
    thumbnail = _thumbnail(first, limits.thumbnail_side)
    return Reencoded(
        data=data.getvalue(), format=saved_format, width=first.width, height=first.height, frames=frames,
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


def _still_format(source_format: str, image: Image.Image) -> str:
    """The format a still is saved in: its own, but HEIF as JPEG (WebP to keep transparency)."""
    if source_format != "HEIF":
        return source_format
    return "WEBP" if image.mode == "RGBA" else "JPEG"


def _save_still(image: Image.Image, saved_format: str) -> io.BytesIO:
    out = io.BytesIO()
    if saved_format == "JPEG":
        image.convert("RGB").save(out, format="JPEG", quality=88, optimize=True)
    elif saved_format == "WEBP":
        image.save(out, format="WEBP", quality=88)
    else:  # PNG, and a GIF of one frame
        image.save(out, format=saved_format, optimize=saved_format == "PNG")
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
