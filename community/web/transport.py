"""Cookies and transport security: Secure cookies and HSTS on every https response, and the
`__Host-` cookie names.

SecureTransport is a WSGI layer just inside ProxyFix (create_app's _wsgi_middleware), so it sees
the scheme the client used (X-Forwarded-Proto from a trusted hop, PROXY_FIX_HOPS) and wraps every
response: Flask's and the fast paths' (page cache, signed-in home, widget JSON) alike. On a
request that arrived over https it

- adds `Secure` to every Set-Cookie that lacks it (the session, the remember-me cookie, any
  other), so a deployment that terminates TLS at nginx with an http BASE_URL still marks them;
  an https BASE_URL already makes Flask mark the session and remember-me cookies itself;
- adds Strict-Transport-Security (HSTS_MAX_AGE, HSTS_INCLUDE_SUBDOMAINS, HSTS_PRELOAD).

Over plain http it adds neither, and removes any HSTS header (browsers ignore it there anyway).

configure_cookies(app) gives the session and remember-me cookies the `__Host-` prefix when
SESSION_COOKIE_HOST_PREFIX is on: such a cookie is only accepted over https, with Secure,
Path=/ and no Domain, so a sibling subdomain cannot plant or overwrite it. It refuses to start
with a cookie domain or another path set, and HSTS settings that contradict each other.
"""
from __future__ import annotations

from typing import Any, Callable, Iterable, Mapping

HOST_PREFIX = "__Host-"
HSTS = "Strict-Transport-Security"
PRELOAD_MIN_MAX_AGE = 31_536_000  # what the preload list asks for: a year


class TransportSettingsError(ValueError):
    """Settings that cannot work together; create_app refuses to start with them."""


def hsts_header(config: Mapping[str, Any]) -> str:
    """The Strict-Transport-Security value the settings ask for (max-age=0 tells browsers to forget)."""
    max_age = int(config.get("HSTS_MAX_AGE") or 0)
    subdomains, preload = bool(config.get("HSTS_INCLUDE_SUBDOMAINS")), bool(config.get("HSTS_PRELOAD"))
    if max_age < 0:
        raise TransportSettingsError("HSTS_MAX_AGE must be 0 or more seconds.")
    if preload and not (subdomains and max_age >= PRELOAD_MIN_MAX_AGE):
        raise TransportSettingsError(
            f"HSTS_PRELOAD needs HSTS_INCLUDE_SUBDOMAINS and HSTS_MAX_AGE of at least {PRELOAD_MIN_MAX_AGE} "
            "(a year): the preload list refuses anything less."
        )
    return f"max-age={max_age}" + ("; includeSubDomains" if subdomains else "") + ("; preload" if preload else "")


def configure_cookies(app) -> None:
    """`__Host-` names for the session and remember-me cookies when SESSION_COOKIE_HOST_PREFIX is on.
    Runs before the fast paths are built: they read the cookie names once."""
    config = app.config
    if not config.get("SESSION_COOKIE_HOST_PREFIX"):
        return
    for kind in ("SESSION", "REMEMBER"):
        if config.get(f"{kind}_COOKIE_DOMAIN"):
            raise TransportSettingsError(
                f"SESSION_COOKIE_HOST_PREFIX needs a host-only cookie: unset {kind}_COOKIE_DOMAIN "
                "(a __Host- cookie may not name a domain)."
            )
        if config.get(f"{kind}_COOKIE_PATH") not in (None, "/"):
            raise TransportSettingsError(f"SESSION_COOKIE_HOST_PREFIX needs {kind}_COOKIE_PATH to be /.")
    if config.get("APPLICATION_ROOT", "/") != "/" and config.get("SESSION_COOKIE_PATH") is None:
        config["SESSION_COOKIE_PATH"] = "/"  # Flask would use APPLICATION_ROOT; __Host- needs /
    config["SESSION_COOKIE_SECURE"] = config["REMEMBER_COOKIE_SECURE"] = True
    for key, default in (("SESSION_COOKIE_NAME", "session"), ("REMEMBER_COOKIE_NAME", "remember_token")):
        name = config.get(key) or default
        config[key] = name if name.startswith(HOST_PREFIX) else HOST_PREFIX + name


class SecureTransport:
    """Secure on every cookie and HSTS on every response of an https request; no HSTS over http."""

    def __init__(self, wsgi_app: Callable, hsts: str) -> None:
        self.wsgi_app, self.hsts = wsgi_app, hsts

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        https = environ.get("wsgi.url_scheme") == "https"

        def start(status: str, headers: list[tuple[str, str]], exc_info=None):
            if https:
                headers = [(name, _secure(value) if name.lower() == "set-cookie" else value) for name, value in headers]
                if not any(name.lower() == "strict-transport-security" for name, _value in headers):
                    headers.append((HSTS, self.hsts))
            else:
                headers = [(name, value) for name, value in headers if name.lower() != "strict-transport-security"]
            return start_response(status, headers, exc_info) if exc_info else start_response(status, headers)

        return self.wsgi_app(environ, start)


def _secure(cookie: str) -> str:
    attributes = (part.strip().lower() for part in cookie.split(";")[1:])
    return cookie if "secure" in attributes else cookie + "; Secure"
