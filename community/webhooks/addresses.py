"""Which webhook URLs Parley will call (server-side request forgery care).

Only http and https URLs with a host are accepted. At send time the host is resolved and refused
when any address it resolves to is private, loopback, link-local or otherwise not global, unless
WEBHOOK_ALLOW_PRIVATE_ADDRESSES is on (for endpoints inside your own network, and for tests on
127.0.0.1). Redirects are never followed, so a public URL cannot bounce a request inward.
"""
from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

MAX_URL_LENGTH = 500


def url_problem(url: str) -> str | None:
    """Why a URL can't be registered, or None. Checks the shape only, no DNS."""
    if not url:
        return "Enter the URL that should receive events."
    if len(url) > MAX_URL_LENGTH:
        return f"Keep the URL under {MAX_URL_LENGTH} characters."
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        return "That URL is not valid."
    if parts.scheme not in ("http", "https"):
        return "Only http:// and https:// URLs can receive webhooks."
    if not parts.hostname:
        return "The URL needs a host name."
    if parts.username or parts.password:
        return "Leave user names and passwords out of the URL; requests are signed instead."
    return None


def literal_private_problem(url: str) -> str | None:
    """Why a URL whose host is written as a private address (or localhost) can't be registered.

    Registration does no DNS (a name may resolve elsewhere later; send time checks that), but a
    host that is itself a private address will be refused at every send, so say so at once.
    """
    host = (urlsplit(url).hostname or "").rstrip(".").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return "localhost is not allowed: webhooks may only call public addresses."
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return None
    if not address.is_global:
        return f"{address} is a private address: webhooks may only call public addresses."
    return None


def destination_problem(url: str, *, allow_private: bool) -> str | None:
    """Why Parley must not call this URL now (after DNS), or None."""
    shape = url_problem(url)
    if shape or allow_private:
        return shape
    host = urlsplit(url).hostname or ""
    try:
        infos = socket.getaddrinfo(host, None)
    except OSError:
        return f"Could not resolve {host}."
    for info in infos:
        address = ipaddress.ip_address(info[4][0].split("%")[0])
        if not address.is_global:
            return f"{host} resolves to a private address ({address}); private addresses are not allowed."
    return None
