"""Files that are not images: names cleaned, the type read from the bytes (the `filetype`
package), never from the name or what the browser said. The only module that imports filetype."""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass

import filetype

MAX_NAME = 150


@dataclass(frozen=True)
class FileType:
    content_type: str  # what is served (always as a download)
    label: str  # what the card says
    text: bool  # UTF-8 text, which no magic number identifies
    detected: frozenset[str] = frozenset()  # the MIME types `filetype` may report for it


_TEXT = "text/plain; charset=utf-8"
# Every extension an admin may allow: the ones whose bytes can be checked. SVG, HTML, scripts and
# programs are not here, so no setting can let them in.
KNOWN: dict[str, FileType] = {
    "txt": FileType(_TEXT, "Text", True),
    "log": FileType(_TEXT, "Log file", True),
    "md": FileType(_TEXT, "Markdown text", True),
    "csv": FileType("text/csv; charset=utf-8", "CSV table", True),
    "json": FileType("application/json", "JSON", True),
    "yaml": FileType(_TEXT, "YAML", True),
    "yml": FileType(_TEXT, "YAML", True),
    "ini": FileType(_TEXT, "Configuration", True),
    "conf": FileType(_TEXT, "Configuration", True),
    "cfg": FileType(_TEXT, "Configuration", True),
    "pdf": FileType("application/pdf", "PDF document", False, frozenset({"application/pdf"})),
    "zip": FileType("application/zip", "ZIP archive", False, frozenset({"application/zip"})),
    "gz": FileType("application/gzip", "Gzip archive", False, frozenset({"application/gzip"})),
    "7z": FileType("application/x-7z-compressed", "7-Zip archive", False, frozenset({"application/x-7z-compressed"})),
    "mp4": FileType("video/mp4", "MP4 video", False, frozenset({"video/mp4"})),
    "webm": FileType("video/webm", "WebM video", False, frozenset({"video/webm"})),
    "mp3": FileType("audio/mpeg", "MP3 audio", False, frozenset({"audio/mpeg"})),
}
IMAGE_EXTENSIONS = frozenset({"png", "jpg", "jpeg", "gif", "webp", "heic", "heif"})
NEVER = frozenset({"svg", "svgz", "html", "htm", "xhtml", "xht", "js", "mjs", "xml", "exe", "bat", "cmd", "sh", "php"})


class FileRefused(ValueError):
    """The file is not one Parley keeps; the message says why, for the member."""


def clean_name(raw: str | None) -> str:
    """A file name safe to show and to send: the last path part, no control or format characters,
    single spaces, no leading dots, at most MAX_NAME characters with the extension kept."""
    name = unicodedata.normalize("NFC", str(raw or ""))
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(" " if unicodedata.category(char).startswith(("C", "Z")) else char for char in name)
    name = " ".join(name.split()).lstrip(". ")
    if len(name) > MAX_NAME:
        stem, dot, extension = name.rpartition(".")
        if dot and 0 < len(extension) <= 10 and stem:
            name = stem[: MAX_NAME - len(extension) - 1].rstrip() + "." + extension
        else:
            name = name[:MAX_NAME]
    return name or "file"


def extension_of(name: str) -> str:
    stem, dot, extension = name.rpartition(".")
    return extension.lower() if dot and stem else ""


def with_extension(name: str, extension: str) -> str:
    """The name with its extension replaced (a PNG sent as photo.jpg is stored as photo.png)."""
    if extension_of(name) in ({extension} | ({"jpeg"} if extension == "jpg" else set())):
        return name
    stem = name.rpartition(".")[0] if extension_of(name) else name
    return clean_name(f"{stem or 'image'}.{extension}")


def parse_extensions(text: str | None) -> list[str]:
    """An admin's list ("txt, .log pdf") as known extensions in order; unknown ones are dropped."""
    words = str(text or "").replace(",", " ").lower().split()
    return list(dict.fromkeys(word.lstrip(".") for word in words if word.lstrip(".") in KNOWN))


def check(name: str, data: bytes, allowed: list[str]) -> FileType:
    """The type of a non-image file, or FileRefused: the extension must be allowed and the bytes
    must be what it says (text that is valid UTF-8, or the format's magic number)."""
    extension = extension_of(name)
    if extension in NEVER:
        if extension in ("svg", "svgz"):
            raise FileRefused("SVG files can carry scripts, so they can't be attached. Export the drawing as a PNG.")
        raise FileRefused(f".{extension} files can't be attached: they could run as a page or a program.")
    if extension in IMAGE_EXTENSIONS:
        raise FileRefused(f"This file is named .{extension} but is not a PNG, JPEG, GIF, WebP or HEIC image.")
    if extension not in allowed or extension not in KNOWN:
        listed = ", ".join(sorted(set(allowed) | {"png", "jpg", "gif", "webp"}))
        what = f".{extension} files" if extension else "Files without an extension"
        raise FileRefused(f"{what} can't be attached here. Allowed: {listed}.")
    kind = KNOWN[extension]
    found = filetype.guess(data)
    if kind.text:
        if found is not None:
            raise FileRefused(f"This file is named .{extension} but its contents are {found.mime}, not text.")
        if b"\x00" in data or not _utf8(data):
            raise FileRefused(f"This file is named .{extension} but is not UTF-8 text.")
        return kind
    if found is None or found.mime not in kind.detected:
        actually = f"its contents are {found.mime}" if found is not None else "its contents don't match"
        raise FileRefused(f"This file is named .{extension} but {actually}.")
    return kind


def is_heic(data: bytes) -> bool:
    """Whether the bytes say they are a HEIC photo (its ISO-BMFF brand), decodable or not: the
    service's cue for a message about HEIC when the image adapter could not open them."""
    return filetype.guess_mime(data) == "image/heic"


def _utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True
