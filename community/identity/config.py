"""Settings of this domain (name -> (default, description); environment COMMUNITY_<NAME>).

Single sign-on with OpenID Connect. Providers come from OIDC_PROVIDERS and from /admin/identity;
community/config.py adds these to the one settings table.
"""
from __future__ import annotations

from typing import Any

SETTINGS: dict[str, tuple[Any, str]] = {
    "OIDC_PROVIDERS": ([], 'OpenID providers as a JSON list of objects: slug, name, issuer, client_id, client_secret, and optionally scopes (default "openid email profile"), groups_claim, name_claim, verified_customer_group ("*": everyone), staff_group, moderator_group. Admins add more at /admin/identity.'),
    "OIDC_STATE_MAX_AGE": (600, "Seconds a sign-in at an identity provider may take before its state expires."),
    "OIDC_HTTP_TIMEOUT": (5, "Seconds to wait for an identity provider's discovery, keys, token and userinfo endpoints."),
    "OIDC_JWKS_MIN_REFRESH_SECONDS": (10, "Least seconds between two fetches of a provider's keys caused by an unknown key id."),
    "SSO_ONLY": (False, "Members sign in only through an identity provider; passwords work only for SSO_BREAK_GLASS_EMAILS."),
    "SSO_BREAK_GLASS_EMAILS": ("", "Space-separated emails of admins who may still sign in with a password when SSO_ONLY is on."),
    "RATELIMIT_SSO": ("30 per minute", "Single sign-on starts, callbacks and link attempts per client address."),
}
