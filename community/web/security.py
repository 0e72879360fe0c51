"""Security headers on every response, and the same-origin check for `next` redirects."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, Response, current_app, g, has_request_context

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def init_app(app: Flask) -> None:
    app.after_request(add_security_headers)


# A page made for one signed-in reader (their name, bell, CSRF token): no shared cache may keep it,
# and the browser keeps no copy to show again after they sign out.
SIGNED_IN_CACHE_CONTROL = "private, no-store"


def add_security_headers(response: Response) -> Response:
    if _for_a_signed_in_reader():
        response.headers.setdefault("Cache-Control", SIGNED_IN_CACHE_CONTROL)
    # Routes that may be framed (widget iframes) set their own CSP first; keep it.
    response.headers.setdefault("Content-Security-Policy", _policy())
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    # X-Frame-Options cannot name allowed sites; only send it where the CSP forbids all framing.
    if "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]:
        response.headers.setdefault("X-Frame-Options", "DENY")
    return response


def _policy() -> str:
    """The CSP; with attachments on S3 or an uploads host, images may also come from there."""
    from ..attachments.serving import media_origin

    origin = media_origin(current_app._get_current_object()) if has_request_context() else None
    return CONTENT_SECURITY_POLICY.replace("img-src 'self' data:", f"img-src 'self' data: {origin}") if origin else CONTENT_SECURITY_POLICY


def _for_a_signed_in_reader() -> bool:
    # Flask-Login keeps the user it loaded for this request in g; a response that never looked at
    # the user shows nothing of theirs.
    return has_request_context() and getattr(g.get("_login_user"), "is_authenticated", False)


def safe_next(target: str | None, fallback: str = "/") -> str:
    """Only same-origin paths: '/x' yes; '//evil', 'http://evil', '/\\evil', 'javascript:' no."""
    if not target:
        return fallback
    target = target.strip()
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return fallback
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return fallback
    if any(ord(ch) < 32 for ch in target):
        return fallback
    return target
