"""Cookies and transport (issue 22, item 4): Secure cookies and HSTS on every https response, as
the client reached us (directly, or through the trusted proxy hops); never HSTS over http; the
__Host- cookie names."""
from __future__ import annotations

import pytest

from community import create_app
from community.web.transport import TransportSettingsError
from tests.factories import DEFAULT_PASSWORD

from ..widgets.helpers import BRAND, make_widget
from .session_helpers import signed_in

FORWARDED_HTTPS = {"X-Forwarded-Proto": "https"}
YEAR = 31_536_000


def _cookies(response) -> dict[str, list[str]]:
    """Set-Cookie headers by cookie name: {name: [attributes, lower-cased]}."""
    cookies = {}
    for header in response.headers.getlist("Set-Cookie"):
        name = header.split("=", 1)[0]
        cookies[name] = [part.strip().lower() for part in header.split(";")[1:]]
    return cookies


def _sign_in(client, user, **kwargs):
    data = {"email": user.email, "password": DEFAULT_PASSWORD, "remember": "y"}
    return client.post("/sign-in", data=data, **kwargs)


class TestBehindATrustedProxy:
    @pytest.fixture
    def app_overrides(self):
        return {"PROXY_FIX_HOPS": 1}  # BASE_URL stays http: TLS ends at nginx

    def test_sign_in_over_forwarded_https_marks_session_and_remember_cookies_secure(self, client, make_user):
        response = _sign_in(client, make_user(), headers=FORWARDED_HTTPS)
        cookies = _cookies(response)
        assert "secure" in cookies["session"] and "secure" in cookies["remember_token"]
        assert "httponly" in cookies["session"]  # what Flask set is kept
        assert response.headers["Strict-Transport-Security"] == f"max-age={YEAR}"

    def test_plain_http_through_the_proxy_gets_no_secure_and_no_hsts(self, client, make_user):
        response = _sign_in(client, make_user(), headers={"X-Forwarded-Proto": "http"})
        assert "secure" not in _cookies(response)["session"]
        assert "Strict-Transport-Security" not in response.headers

    def test_only_the_trusted_hops_value_counts(self, client, make_user):
        # One trusted hop: the value the proxy appended (the last) counts, not what the client sent.
        response = _sign_in(client, make_user(), headers={"X-Forwarded-Proto": "https, http"})
        assert "secure" not in _cookies(response)["session"]
        assert "Strict-Transport-Security" not in response.headers

    def test_a_cached_anonymous_page_from_the_fast_path_gets_hsts(self, app, client, make_thread):
        thread = make_thread(title="Invoice totals are wrong")
        flask_requests = []
        app.before_request_funcs.setdefault(None, []).insert(0, lambda: flask_requests.append(1))
        path = f"/t/{thread.id}-{thread.slug}"
        client.get(path, headers=FORWARDED_HTTPS)
        hit = client.get(path, headers=FORWARDED_HTTPS)
        assert hit.headers["X-Page-Cache"] == "hit" and len(flask_requests) == 1  # answered before Flask
        assert hit.headers["Strict-Transport-Security"] == f"max-age={YEAR}"
        assert "Strict-Transport-Security" not in client.get(path).headers  # the same page over http

    def test_warm_widget_json_from_the_fast_path_gets_hsts(self, client):
        widget = make_widget("latest")
        headers = {"Origin": BRAND, **FORWARDED_HTTPS}
        client.get(f"/embed/w/{widget.id}.json", headers=headers)
        warm = client.get(f"/embed/w/{widget.id}.json", headers=headers)
        assert warm.status_code == 200 and warm.headers["Strict-Transport-Security"] == f"max-age={YEAR}"
        assert "Set-Cookie" not in warm.headers


def test_forwarded_proto_from_an_untrusted_hop_is_ignored(client, make_user):
    # PROXY_FIX_HOPS=0 (the default): anyone can send the header, so it means nothing.
    response = _sign_in(client, make_user(), headers=FORWARDED_HTTPS)
    assert "secure" not in _cookies(response)["session"]
    assert "Strict-Transport-Security" not in response.headers


def test_plain_http_gets_no_secure_and_no_hsts(client, make_user):
    response = _sign_in(client, make_user())
    cookies = _cookies(response)
    assert "secure" not in cookies["session"] and "secure" not in cookies["remember_token"]
    assert "Strict-Transport-Security" not in response.headers
    assert "Strict-Transport-Security" not in client.get("/").headers


def test_direct_https_marks_cookies_secure_and_sends_hsts(client, make_user):
    response = _sign_in(client, make_user(), base_url="https://localhost")
    cookies = _cookies(response)
    assert "secure" in cookies["session"] and "secure" in cookies["remember_token"]
    assert response.headers["Strict-Transport-Security"] == f"max-age={YEAR}"
    assert client.get("/", base_url="https://localhost").headers["Strict-Transport-Security"] == f"max-age={YEAR}"


class TestHttpsBaseUrl:
    @pytest.fixture
    def app_overrides(self):
        return {"BASE_URL": "https://community.example"}

    def test_an_https_base_url_still_marks_cookies_secure_even_over_http(self, client, make_user):
        response = _sign_in(client, make_user())
        cookies = _cookies(response)
        assert "secure" in cookies["session"] and "secure" in cookies["remember_token"]
        assert "Strict-Transport-Security" not in response.headers  # the request itself was http


class TestHstsOptions:
    @pytest.fixture
    def app_overrides(self):
        return {"HSTS_MAX_AGE": 2 * YEAR, "HSTS_INCLUDE_SUBDOMAINS": True, "HSTS_PRELOAD": True}

    def test_max_age_subdomains_and_preload_are_sent(self, client):
        header = client.get("/", base_url="https://localhost").headers["Strict-Transport-Security"]
        assert header == f"max-age={2 * YEAR}; includeSubDomains; preload"


@pytest.mark.parametrize("settings", [
    {"HSTS_PRELOAD": True},  # without includeSubDomains
    {"HSTS_PRELOAD": True, "HSTS_INCLUDE_SUBDOMAINS": True, "HSTS_MAX_AGE": 86400},  # less than a year
    {"HSTS_MAX_AGE": -1},
])
def test_contradicting_hsts_settings_refuse_to_start(tmp_path, settings):
    with pytest.raises(TransportSettingsError):
        create_app({"INSTANCE_PATH": str(tmp_path), "TESTING": True, **settings})


class TestHstsMaxAgeZero:
    @pytest.fixture
    def app_overrides(self):
        return {"HSTS_MAX_AGE": 0}

    def test_max_age_zero_tells_browsers_to_forget(self, client):
        assert client.get("/", base_url="https://localhost").headers["Strict-Transport-Security"] == "max-age=0"


class TestHostPrefixedCookies:
    @pytest.fixture
    def app_overrides(self):
        return {"SESSION_COOKIE_HOST_PREFIX": True, "PROXY_FIX_HOPS": 1}

    def test_sign_in_round_trip_with_host_prefixed_cookies(self, client, make_user):
        response = _sign_in(client, make_user(), base_url="https://localhost")
        cookies = _cookies(response)
        assert set(cookies) >= {"__Host-session", "__Host-remember_token"} and "session" not in cookies
        for name in ("__Host-session", "__Host-remember_token"):
            assert "secure" in cookies[name] and "path=/" in cookies[name]
            assert not any(part.startswith("domain=") for part in cookies[name])
        assert client.get("/settings", base_url="https://localhost").status_code == 200

    def test_the_remember_cookie_alone_signs_back_in(self, client, make_user):
        _sign_in(client, make_user(), headers=FORWARDED_HTTPS)
        client.delete_cookie("__Host-session")
        assert client.get_cookie("__Host-remember_token") is not None
        assert signed_in(client)


@pytest.mark.parametrize("settings", [
    {"SESSION_COOKIE_DOMAIN": "example.com"},
    {"REMEMBER_COOKIE_DOMAIN": ".example.com"},
    {"SESSION_COOKIE_PATH": "/forum"},
])
def test_host_prefix_refuses_a_cookie_domain_or_path(tmp_path, settings):
    with pytest.raises(TransportSettingsError):
        create_app({"INSTANCE_PATH": str(tmp_path), "TESTING": True, "SESSION_COOKIE_HOST_PREFIX": True, **settings})
