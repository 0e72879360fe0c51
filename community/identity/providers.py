"""The OpenID providers people may sign in with: from the OIDC_PROVIDERS setting and from
/admin/identity (the identity_providers table). Settings win on a slug both name."""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass, fields
from typing import Any, Mapping
from urllib.parse import urlsplit

from flask import current_app
from sqlalchemy import select

from .. import policies
from ..errors import NotFound, ValidationFailed
from ..extensions import db
from ..models import IdentityProvider, User
from ..services import audit
from .oidc_client import Client

SLUG_RE = re.compile(r"[a-z0-9][a-z0-9-]{0,38}[a-z0-9]?")
TEXT_LIMITS = {
    "slug": 40, "name": 80, "issuer": 255, "client_id": 255, "client_secret": 255, "scopes": 255,
    "groups_claim": 64, "name_claim": 64, "verified_customer_group": 120, "staff_group": 120, "moderator_group": 120,
}


@dataclass(frozen=True)
class Provider:
    slug: str
    name: str
    issuer: str
    client_id: str
    client_secret: str = ""
    scopes: str = "openid email profile"
    groups_claim: str = "groups"
    name_claim: str = "name"
    verified_customer_group: str = ""
    staff_group: str = ""
    moderator_group: str = ""
    enabled: bool = True
    id: int | None = None  # the table row; None for a provider from settings

    @property
    def from_settings(self) -> bool:
        return self.id is None

    def client(self) -> Client:
        return Client(self.issuer, self.client_id, self.client_secret, self.scopes,
                      timeout=float(current_app.config["OIDC_HTTP_TIMEOUT"]))


FIELD_NAMES = tuple(f.name for f in fields(Provider) if f.name not in ("id", "enabled"))


def _from_settings() -> list[Provider]:
    providers = []
    for entry in current_app.config.get("OIDC_PROVIDERS") or []:
        values = {name: str(entry.get(name) or "") for name in FIELD_NAMES if entry.get(name) is not None}
        providers.append(Provider(**values))
    return providers


def check_settings(config: Mapping[str, Any]) -> None:
    """At start-up: every provider in OIDC_PROVIDERS is complete and named once."""
    seen = set()
    for entry in config.get("OIDC_PROVIDERS") or []:
        if not isinstance(entry, dict):
            raise ValueError("OIDC_PROVIDERS must be a JSON list of objects")
        missing = [name for name in ("slug", "name", "issuer", "client_id") if not entry.get(name)]
        if missing:
            raise ValueError(f"OIDC_PROVIDERS entry {entry.get('slug')!r} lacks {', '.join(missing)}")
        unknown = set(entry) - set(FIELD_NAMES)
        if unknown:
            raise ValueError(f"OIDC_PROVIDERS entry {entry['slug']!r} has unknown keys: {', '.join(sorted(unknown))}")
        if not SLUG_RE.fullmatch(entry["slug"]) or entry["slug"] in seen:
            raise ValueError(f"OIDC_PROVIDERS slug {entry['slug']!r} is invalid or repeated")
        seen.add(entry["slug"])


def _from_row(row: IdentityProvider) -> Provider:
    return Provider(**{name: getattr(row, name) for name in FIELD_NAMES}, enabled=row.enabled, id=row.id)


def all_providers() -> list[Provider]:
    configured = _from_settings()
    taken = {provider.slug for provider in configured}
    rows = db.session.scalars(select(IdentityProvider).order_by(IdentityProvider.name, IdentityProvider.id))
    return configured + [_from_row(row) for row in rows if row.slug not in taken]


def enabled_providers() -> list[Provider]:
    return [provider for provider in all_providers() if provider.enabled]


def get(slug: str) -> Provider:
    for provider in enabled_providers():
        if provider.slug == slug:
            return provider
    raise NotFound("There is no such sign-in provider.")


# --- /admin/identity -------------------------------------------------------------------------------


def _clean(data: Mapping[str, Any]) -> dict[str, str]:
    values: dict[str, str] = {}
    errors: dict[str, str] = {}
    for name, limit in TEXT_LIMITS.items():
        value = str(data.get(name) or "").strip()
        if any(ord(ch) < 32 for ch in value):
            errors[name] = "This contains characters that are not allowed."
        elif len(value) > limit:
            errors[name] = f"At most {limit} characters."
        values[name] = value
    for name in ("slug", "name", "issuer", "client_id"):
        if not values[name] and name not in errors:
            errors[name] = "Required."
    if values["slug"] and "slug" not in errors and not SLUG_RE.fullmatch(values["slug"]):
        errors["slug"] = "Use lower-case letters, digits and dashes."
    parts = urlsplit(values["issuer"])
    if values["issuer"] and (parts.scheme not in ("https", "http") or not parts.netloc or parts.query or parts.fragment):
        errors["issuer"] = "Enter the issuer URL exactly as the provider's discovery document names it (https://...)."
    if "openid" not in values["scopes"].split():
        values["scopes"] = ("openid " + values["scopes"]).strip()
    values["groups_claim"] = values["groups_claim"] or "groups"
    values["name_claim"] = values["name_claim"] or "name"
    if errors:
        raise ValidationFailed("Please correct the marked fields.", fields=errors)
    return values


def save_provider(actor: User, data: Mapping[str, Any], provider_id: int | None = None) -> IdentityProvider:
    policies.ensure(policies.can_manage_identity, actor, message="Only admins manage sign-in providers.")
    values = _clean(data)
    if values["slug"] in {provider.slug for provider in _from_settings()}:
        raise ValidationFailed(fields={"slug": "A provider from the settings already uses this slug."})
    row = db.session.get(IdentityProvider, provider_id) if provider_id else IdentityProvider()
    if row is None:
        raise NotFound("There is no such sign-in provider.")
    taken = db.session.scalar(select(IdentityProvider.id).where(IdentityProvider.slug == values["slug"]))
    if taken is not None and taken != provider_id:
        raise ValidationFailed(fields={"slug": "Another provider already uses this slug."})
    before = _public(row) if provider_id else None
    if provider_id and not values["client_secret"]:
        values["client_secret"] = row.client_secret  # an empty field keeps the stored secret
    for name, value in values.items():
        setattr(row, name, value)
    row.enabled = bool(data.get("enabled"))
    db.session.add(row)
    db.session.flush()
    audit.record(actor, "settings.identity_provider", "identity_provider", row.id, before=before, after=_public(row))
    db.session.commit()
    return row


def delete_provider(actor: User, provider_id: int) -> None:
    policies.ensure(policies.can_manage_identity, actor, message="Only admins manage sign-in providers.")
    row = db.session.get(IdentityProvider, provider_id)
    if row is None:
        raise NotFound("There is no such sign-in provider.")
    audit.record(actor, "settings.identity_provider_delete", "identity_provider", row.id, before=_public(row))
    db.session.delete(row)
    db.session.commit()


def _public(row: IdentityProvider) -> dict[str, Any]:
    values = {name: getattr(row, name) for name in FIELD_NAMES if name != "client_secret"}
    values["enabled"] = row.enabled
    return values


def as_form(provider: Provider | None) -> dict[str, Any]:
    if provider is None:
        return {"scopes": "openid email profile", "groups_claim": "groups", "name_claim": "name", "enabled": True}
    values = asdict(provider)
    values["client_secret"] = ""
    return values
