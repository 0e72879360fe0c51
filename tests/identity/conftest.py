"""Fixtures of the identity tests: the real OpenID provider (session-wide), an app whose settings
name its two issuers, and the provider registered for this test's app."""
from __future__ import annotations

import pytest

from community.identity import oidc_client

from ..conftest import free_port, require_service
from .provider import MODULE, IdentityProviders


@pytest.fixture(scope="session")
def idp(tmp_path_factory):
    require_service(MODULE.exists(), "the npm package oidc-provider (make node-deps)")
    log = tmp_path_factory.mktemp("oidc-provider") / "provider.log"
    providers = IdentityProviders({"acme": free_port(), "globex": free_port()}).start(log)
    yield providers
    providers.stop()


@pytest.fixture
def app_overrides(idp):
    return {
        "OIDC_PROVIDERS": idp.settings("acme", "globex", verified_customer_group="customers",
                                       staff_group="support-team"),
        "OIDC_JWKS_MIN_REFRESH_SECONDS": 0,
    }


@pytest.fixture(autouse=True)
def _fresh_caches():
    oidc_client.forget_caches()
    yield
    oidc_client.forget_caches()


@pytest.fixture
def registered(idp):
    """Both issuers know the test client's host (http://localhost) as Parley."""
    for name in ("acme", "globex"):
        idp.register(name, "http://localhost")
    return idp
