"""Branding settings (name, logo, colours, footer, custom CSS, base URL) with their defaults."""
from __future__ import annotations

import hashlib
import io
import re
from typing import Any, BinaryIO, Mapping, Optional
from urllib.parse import urlsplit

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from .. import policies
from ..content.css import confine_css, css_problems
from ..errors import PermissionDenied, ValidationFailed
from ..extensions import db
from ..models import SiteSetting, User, utcnow
from ..storage import storage
from . import audit

BRANDING_KEY = "branding"

DEFAULT_BRANDING: dict[str, Any] = {
    "name": "Parley Community",
    "tagline": "Ask, answer, and find what's already solved.",
    "logo_path": None,
    "primary_color": "#1f5eff",
    "accent_color": "#ff7a1a",
    "footer_links": [],
    "footer_text": "",
    "custom_css": "",
    "base_url": None,
}

COLOR_RE = re.compile(r"#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})")
LOGO_DIR = "brand"
LOGO_NAME_RE = re.compile(r"logo-[0-9a-f]{16}\.png")
# Logos are shown 32px high; anything much larger is only bytes to download.
LOGO_MAX_SIDE = 512
LOGO_MAX_PIXELS = 25_000_000
MAX_FOOTER_LINKS = 10
TEXT_LIMITS = {"name": 80, "tagline": 200, "footer_text": 500}
LINK_LABEL_MAX = 60
URL_MAX = 500


# The last branding this process read, as (version, branding): get_branding(version) with the
# same version answers from it without a query.
MEMO_KEY = "community.branding_memo"
UNKNOWN = object()


def version_column():
    """The stored branding's version (its updated_at; NULL: none stored), to select with other rows."""
    return select(SiteSetting.updated_at).where(SiteSetting.key == BRANDING_KEY).scalar_subquery()


def get_branding(version: Any = UNKNOWN) -> dict[str, Any]:
    """The branding; given the current version (version_column, read this request), from the
    per-process memo when it holds that version."""
    if version is None:
        return dict(DEFAULT_BRANDING)
    memo = current_app.extensions.get(MEMO_KEY)
    if version is not UNKNOWN and memo is not None and memo[0] == version:
        return dict(memo[1])
    branding = dict(DEFAULT_BRANDING)
    try:
        row = db.session.get(SiteSetting, BRANDING_KEY)
    except SQLAlchemyError:
        # Error pages must render even when the database is down.
        db.session.rollback()
        return branding
    if row is not None and isinstance(row.value, dict):
        branding.update({k: v for k, v in row.value.items() if k in DEFAULT_BRANDING})
        current_app.extensions[MEMO_KEY] = (row.updated_at, dict(branding))
    return branding


def logo_png(name: str) -> bytes | None:
    """The stored logo called `name` (as kept in logo_path), or None."""
    if not LOGO_NAME_RE.fullmatch(name or ""):
        return None
    return storage().read(f"{LOGO_DIR}/{name}")


# --- saving -------------------------------------------------------------------------------------


def update_branding(
    actor: Optional[User],
    form: Mapping[str, Any],
    logo: Optional[BinaryIO] = None,
    remove_logo: bool = False,
) -> dict[str, Any]:
    """Validate every field, store the new branding, and return it.

    `form` holds the text fields plus `footer_links` as a list of {"label", "url"} dicts; `logo`
    is an uploaded file (or None to keep the current one).
    """
    if not policies.can_manage_site(actor):
        raise PermissionDenied("Only administrators can change the branding.")
    values, errors = clean_branding(form)
    logo_bytes = _read_logo(logo, errors) if logo is not None else None
    if errors:
        raise ValidationFailed("Please correct the marked fields.", fields=errors)
    current = get_branding()
    values["logo_path"] = None if remove_logo else current["logo_path"]
    if logo_bytes is not None:
        values["logo_path"] = _store_logo(logo_bytes)
    audit.record(actor, "settings.branding", "setting", None, before=current, after=values)
    _save(values)
    return get_branding()


def clean_branding(form: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """Normalised values and {field: message} for what is wrong."""
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}
    for field, limit in TEXT_LIMITS.items():
        values[field] = str(form.get(field) or "").strip()
        if len(values[field]) > limit:
            errors[field] = f"Keep this under {limit} characters."
    if not values["name"]:
        errors["name"] = "The community needs a name."
    for field in ("primary_color", "accent_color"):
        values[field] = str(form.get(field) or "").strip()
        if not COLOR_RE.fullmatch(values[field]):
            errors[field] = "Use a colour like #1f5eff or #15f."
    values["base_url"] = str(form.get("base_url") or "").strip().rstrip("/") or None
    if values["base_url"] and not _is_web_url(values["base_url"]):
        errors["base_url"] = "Use a full http:// or https:// address, like https://community.example.com."
    values["custom_css"] = str(form.get("custom_css") or "")
    css_limit = int(current_app.config["BRAND_CSS_MAX_BYTES"])
    if len(values["custom_css"].encode()) > css_limit:
        errors["custom_css"] = f"Custom CSS is limited to {css_limit:,} bytes."
    elif problems := css_problems(values["custom_css"], *_css_hosts(values["base_url"])):
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        errors["custom_css"] = f"{problems[0]}{more}"
    values["footer_links"], link_error = _clean_footer_links(form.get("footer_links") or [])
    if link_error:
        errors["footer_links"] = link_error
    return values, errors


def _clean_footer_links(rows: list[Mapping[str, str]]) -> tuple[list[dict[str, str]], str | None]:
    links: list[dict[str, str]] = []
    error = None
    for row in rows:
        label, url = str(row.get("label") or "").strip(), str(row.get("url") or "").strip()
        if not label and not url:
            continue
        links.append({"label": label, "url": url})
        if not label or not url:
            error = error or "Each footer link needs both a label and a URL."
        elif len(label) > LINK_LABEL_MAX:
            error = error or f"Footer link labels are limited to {LINK_LABEL_MAX} characters."
        elif not is_footer_url(url):
            error = error or f"“{url}” is not allowed: use an http(s) URL, a mailto: address or a path on this site like /about."
    if len(links) > MAX_FOOTER_LINKS:
        error = error or f"At most {MAX_FOOTER_LINKS} footer links."
    return links, error


def is_footer_url(url: Any) -> bool:
    """A footer link may go to an http(s) URL, a mailto: address or a path on this site; nothing
    else (javascript:, data:, vbscript:, however cased or padded). The footer checks it again when
    it renders, for links saved before this rule."""
    return isinstance(url, str) and (_is_web_url(url) or _is_mailto(url) or _is_site_path(url))


def _is_mailto(url: str) -> bool:
    if len(url) > URL_MAX or any(ch.isspace() or ord(ch) < 32 or ch in '<>"\\' for ch in url):
        return False
    scheme, _, address = url.partition(":")
    return scheme.lower() == "mailto" and "@" in address.split("?", 1)[0]


def _is_web_url(url: str) -> bool:
    if len(url) > URL_MAX or any(ch.isspace() or ord(ch) < 32 for ch in url):
        return False
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme in {"http", "https"} and bool(parts.hostname)


def _is_site_path(url: str) -> bool:
    # "/about" yes; "//evil.example" (scheme-relative) and "/\\evil" no.
    return (
        len(url) <= URL_MAX
        and url.startswith("/")
        and not url.startswith("//")
        and "\\" not in url
        and not any(ch.isspace() or ord(ch) < 32 for ch in url)
    )


# --- custom CSS ----------------------------------------------------------------------------------


def served_custom_css(branding: Mapping[str, Any]) -> str:
    """The custom CSS as /brand.css serves it: checked again (rows saved before the rules), with
    what the rules refuse dropped."""
    return confine_css(str(branding.get("custom_css") or ""), *_css_hosts(branding.get("base_url")))


def _css_hosts(base_url: Optional[str]) -> tuple[Any, set[str]]:
    """(hosts url() may load from: BRAND_CSS_ALLOWED_HOSTS; this site's own hosts, from BASE_URL
    and the branding's base URL)."""
    site = set()
    for url in (current_app.config.get("BASE_URL"), base_url):
        try:
            site.add(urlsplit(url or "").hostname)
        except ValueError:
            continue
    return current_app.config.get("BRAND_CSS_ALLOWED_HOSTS") or "", {host for host in site if host}


def _save(values: dict[str, Any]) -> None:
    row = db.session.get(SiteSetting, BRANDING_KEY)
    if row is None:
        db.session.add(SiteSetting(key=BRANDING_KEY, value=values))
    else:
        # A new dict so SQLAlchemy sees the JSON value change.
        row.value = dict(values)
        row.updated_at = utcnow()
    db.session.commit()


def save_branding(values: Mapping[str, Any]) -> None:
    """Store branding without a form or an actor (the demo seed writes its own brand)."""
    _save({**DEFAULT_BRANDING, **values})


# --- logo ----------------------------------------------------------------------------------------


def _read_logo(upload: BinaryIO, errors: dict[str, str]) -> bytes | None:
    limit = int(current_app.config["BRAND_LOGO_MAX_BYTES"])
    data = upload.read(limit + 1)
    if not data:
        return None
    if len(data) > limit:
        errors["logo"] = f"The logo must be smaller than {limit // 1024} KB."
        return None
    png = _reencode_png(data)
    if png is None:
        errors["logo"] = "That file is not an image we can read (use PNG, JPEG, GIF or WebP)."
    return png


def _reencode_png(data: bytes) -> bytes | None:
    """Decode with Pillow and write a fresh PNG, so nothing but pixels survives the upload."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as probe:
            probe.verify()
        with Image.open(io.BytesIO(data)) as image:
            if image.width * image.height > LOGO_MAX_PIXELS:
                return None
            image.load()
            image = image.convert("RGBA")
            image.thumbnail((LOGO_MAX_SIDE, LOGO_MAX_SIDE))
            out = io.BytesIO()
            image.save(out, format="PNG", optimize=True)
            return out.getvalue()
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        return None


def _store_logo(png: bytes) -> str:
    # Content-addressed name: a new logo gets a new URL, so caches never show the old one.
    name = f"logo-{hashlib.sha256(png).hexdigest()[:16]}.png"
    storage().save(f"{LOGO_DIR}/{name}", png, "image/png")
    return name
