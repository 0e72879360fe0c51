"""Branding settings (name, logo, colours, footer, custom CSS, base URL) with their defaults."""
from __future__ import annotations

from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from ..extensions import db
from ..models import SiteSetting

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


def get_branding() -> dict[str, Any]:
    branding = dict(DEFAULT_BRANDING)
    try:
        row = db.session.get(SiteSetting, BRANDING_KEY)
    except SQLAlchemyError:
        # Error pages must render even when the database is down.
        db.session.rollback()
        return branding
    if row is not None and isinstance(row.value, dict):
        branding.update({k: v for k, v in row.value.items() if k in DEFAULT_BRANDING})
    return branding
