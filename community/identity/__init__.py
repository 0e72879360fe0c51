"""Identity federation: single sign-on with OpenID Connect providers (several at once, from the
settings and /admin/identity), accounts made or linked from a provider's identity, the admins'
claim and group mapping, and logout both ways (RP-initiated and back-channel).

- views.py: /sso/... and /admin/identity
- service.py: the sign-in flow and its refusals (each written to the audit log)
- accounts.py: just-in-time accounts, linking after a password proof, the mapping
- logout.py: end-session offer and back-channel logout through revoked_logins
- providers.py: the providers, from settings and the identity_providers table
- oidc_client.py: the adapter, the only module that imports Authlib and joserfc
"""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from . import providers

    providers.check_settings(app.config)
    app.jinja_env.globals["sso_providers"] = _sso_providers


def _sso_providers() -> list:
    """For the sign-in and join pages: the enabled providers, by name."""
    from . import providers

    return providers.enabled_providers()
