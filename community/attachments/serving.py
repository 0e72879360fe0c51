"""How a file reaches a reader once service.readable has let them read it.

Four ways, chosen by the settings, in this order:
- S3 (STORAGE_BACKEND=s3): a redirect to a short-lived signed URL of the store, already another
  origin that never sees the site's cookies; UPLOADS_HOST and ATTACHMENT_ACCEL_REDIRECT are unused.
- UPLOADS_HOST: a redirect to the same path on that cookieless host with a signed token lasting
  ATTACHMENT_URL_SECONDS; uploads_host.py checks the token there and sends the file as below.
- ATTACHMENT_ACCEL_REDIRECT: an empty answer with `X-Accel-Redirect: <prefix><key>`; nginx sends
  the file from an `internal` location aliased to UPLOAD_DIR (deploy/nginx-parley.conf).
- otherwise Flask sends the file itself.

Every answer carries the same headers: only re-encoded raster images are inline, everything else
is a download, nothing is sniffed, and nothing of a file runs as a page.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Mapping
from urllib.parse import quote, urlsplit

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from werkzeug.utils import redirect, send_file
from werkzeug.wrappers import Response

from ..storage import storage
from . import images

# Whatever a stored file is, the browser renders nothing of it as a page: no scripts, no plugins.
FILE_CSP = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox"
TOKEN_SALT = "attachments.uploads-host"
HOST_RE = re.compile(r"[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*(:[0-9]{1,5})?")
PREFIX_RE = re.compile(r"/[A-Za-z0-9_./-]*/")


class ServingSettingsError(ValueError):
    """ATTACHMENT_ACCEL_REDIRECT or UPLOADS_HOST that cannot work; create_app refuses to start."""


@dataclass(frozen=True)
class Delivery:
    """One stored file as it is sent: its key in the store, its type and its disposition."""

    path: str  # the app's URL path of the file (/attachments/12/screen.png)
    key: str
    content_type: str
    disposition: str


def content_disposition(name: str, inline: bool) -> str:
    ascii_name = "".join(c if 32 <= ord(c) < 127 and c not in '"\\' else "_" for c in name)
    kind = "inline" if inline else "attachment"
    return f"{kind}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name, safe='')}"


def delivery(attachment, thumbnail: bool, path: str) -> Delivery:
    # Only re-encoded raster images are ever inline; every other file is a download.
    return Delivery(
        path=path,
        key=attachment.thumbnail_key if thumbnail else attachment.storage_key,
        content_type=images.THUMBNAIL_TYPE if thumbnail else attachment.content_type,
        disposition=content_disposition(attachment.name, attachment.is_image),
    )


def uploads_host(config: Mapping[str, Any]) -> str | None:
    """The cookieless host, lower case, or None. With S3 it still serves no page, but files go to
    the store's signed URLs instead (see issues_uploads_urls)."""
    return str(config.get("UPLOADS_HOST") or "").strip().lower() or None


def issues_uploads_urls(config: Mapping[str, Any]) -> bool:
    return uploads_host(config) is not None and str(config.get("STORAGE_BACKEND") or "local").lower() != "s3"


def check_settings(config: Mapping[str, Any]) -> None:
    prefix = config.get("ATTACHMENT_ACCEL_REDIRECT")
    if prefix and not PREFIX_RE.fullmatch(str(prefix)):
        raise ServingSettingsError(
            f"ATTACHMENT_ACCEL_REDIRECT must be a URL path that starts and ends with /, such as "
            f"/_protected_uploads/ (got {prefix!r})."
        )
    host = uploads_host(config)
    if not host:
        return
    if not HOST_RE.fullmatch(host):
        raise ServingSettingsError(f"UPLOADS_HOST must be a host name, optionally with :port, such as files.example.com (got {host!r}).")
    if host == (urlsplit(str(config.get("BASE_URL") or "")).netloc or "").lower():
        # Every request to that host would be the file route: the whole site would be 404.
        raise ServingSettingsError("UPLOADS_HOST must differ from the host of BASE_URL: it is a separate origin.")


def media_origin(app) -> str | None:
    """Where the pages' images may also come from (their img-src): the S3 endpoint's origin, or
    UPLOADS_HOST as a CSP host source (any scheme the page uses); None when the main host sends them."""
    return _store_origin(app) or (uploads_host(app.config) if issues_uploads_urls(app.config) else None)


def _store_origin(app) -> str | None:
    """The origin the store's signed URLs point at (the S3 endpoint), worked out once per app."""
    if "community.attachments.origin" not in app.extensions:
        try:
            sign = getattr(storage(app), "signed_url", None)
        except ValueError:  # a misconfigured store fails its own requests, not every page's header
            sign = None
        origin = None
        if sign is not None:
            parts = urlsplit(sign("attachments/origin.png", 60, "image/png", "inline"))
            origin = f"{parts.scheme}://{parts.netloc}"
        app.extensions["community.attachments.origin"] = origin
    return app.extensions["community.attachments.origin"]


# --- tokens for the uploads host ----------------------------------------------------------------


def _serializer(config: Mapping[str, Any]) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(str(config["SECRET_KEY"]), salt=TOKEN_SALT)


def uploads_url(config: Mapping[str, Any], sent: Delivery) -> str:
    """//UPLOADS_HOST/<path>?token=…: the token names the path, so it opens this one file only."""
    token = _serializer(config).dumps([sent.path, sent.key, sent.content_type, sent.disposition])
    return f"//{uploads_host(config)}{sent.path}?token={token}"


class TokenRefused(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def read_token(config: Mapping[str, Any], token: str, path: str) -> Delivery:
    """The delivery a token signed for `path`; TokenRefused when expired, altered or for another file."""
    try:
        signed_path, key, content_type, disposition = _serializer(config).loads(
            token, max_age=int(config["ATTACHMENT_URL_SECONDS"]))
    except SignatureExpired:
        raise TokenRefused("This file link has expired. Go back to the post and open the file again.") from None
    except (BadSignature, ValueError, TypeError):
        raise TokenRefused("This file link is not valid. Go back to the post and open the file again.") from None
    if signed_path != path:
        raise TokenRefused("This file link is for another file.")
    return Delivery(path=signed_path, key=key, content_type=content_type, disposition=disposition)


# --- answers ----------------------------------------------------------------------------------


def _local_path(app, key: str):
    path_for = getattr(storage(app), "path_for", None)
    path = path_for(key) if path_for is not None else None
    return path if path is not None and path.is_file() else None


def local_file(app, sent: Delivery, environ: dict) -> Response | None:
    """The file from the local folder, by nginx (X-Accel-Redirect) or by ourselves; None if absent."""
    path = _local_path(app, sent.key)
    if path is None:
        return None
    prefix = app.config.get("ATTACHMENT_ACCEL_REDIRECT")
    if prefix:
        # nginx keeps Content-Type, Content-Disposition and Cache-Control from this answer and sends
        # the file's bytes, ranges and validators itself.
        response = Response(b"")
        response.headers["X-Accel-Redirect"] = f"{prefix}{sent.key}"
    else:
        response = send_file(path, environ, mimetype=sent.content_type, conditional=True, etag=True, max_age=0)
    # As stored, charset included for text (a mimetype would get a second one from werkzeug).
    response.headers["Content-Type"] = sent.content_type
    response.headers["Content-Disposition"] = sent.disposition
    return response


def _signed_url(app, sent: Delivery) -> str | None:
    """A short-lived URL of the store (S3) for a reader already checked; None for the local folder."""
    sign = getattr(storage(app), "signed_url", None)
    if sign is None:
        return None
    return sign(sent.key, int(app.config["ATTACHMENT_URL_SECONDS"]), sent.content_type, sent.disposition)


def respond(app, sent: Delivery, environ: dict) -> Response | None:
    """The main host's answer for a reader already checked; None when the file is missing."""
    config = app.config
    signed = _signed_url(app, sent)
    if signed is not None:
        response = redirect(signed, 302)  # S3: the check is done; the URL lives ATTACHMENT_URL_SECONDS
    elif issues_uploads_urls(config):
        if _local_path(app, sent.key) is None:
            return None
        response = redirect(uploads_url(config, sent), 302)
    else:
        response = local_file(app, sent, environ)
        if response is None:
            return None
    return with_file_headers(response, cross_origin=False)


def with_file_headers(response: Response, cross_origin: bool) -> Response:
    response.headers["Cache-Control"] = "private, no-cache"  # revalidated: a moved thread closes at once
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = FILE_CSP
    # The uploads host is another origin by design: the main host's pages show its images; who may
    # fetch a file is decided by the token, as with S3.
    response.headers["Cross-Origin-Resource-Policy"] = "cross-origin" if cross_origin else "same-origin"
    return response
