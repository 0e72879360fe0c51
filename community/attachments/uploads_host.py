"""The cookieless uploads host (UPLOADS_HOST): a WSGI layer in front of the fast paths and Flask.

The browser sends the site's session cookie to every path of the main host, so a file served
there shares an origin with the signed-in site. A request whose Host is UPLOADS_HOST never reaches
the site: this layer answers it alone, and only on the attachment file route with a valid token
(serving.uploads_url, issued by the main host after the permission check). It opens no session,
loads no user, reads no cookie and sets none. Every other path there is 404. Requests for any
other host pass through untouched.
"""
from __future__ import annotations

import re
from urllib.parse import quote

from werkzeug.wrappers import Request, Response

from . import serving

FILE_ROUTE = re.compile(r"/attachments/[0-9]+/[^/]+")


class UploadsHost:
    def __init__(self, app, wsgi_app) -> None:
        # The settings are read per request, so a test may set UPLOADS_HOST once its server's port is known.
        self.app, self.wsgi_app = app, wsgi_app

    def __call__(self, environ: dict, start_response):
        host = serving.uploads_host(self.app.config)
        request = Request(environ) if host is not None else None
        if request is None or request.host.lower() != host:
            return self.wsgi_app(environ, start_response)
        return self.answer(request)(environ, start_response)

    def answer(self, request: Request) -> Response:
        if not FILE_ROUTE.fullmatch(request.path):
            return refusal(404, "Nothing here: this host only serves attachment files.")
        if request.method not in ("GET", "HEAD"):
            refused = refusal(405, "Files here can only be read.")
            refused.headers["Allow"] = "GET, HEAD"
            return refused
        try:
            sent = serving.read_token(self.app.config, request.args.get("token", ""), signed_form(request.path))
        except serving.TokenRefused as refused:
            return refusal(403, refused.message)
        response = serving.local_file(self.app, sent, request.environ)
        if response is None:
            return refusal(404, "This file is no longer here.")
        return serving.with_file_headers(response, cross_origin=True)


def signed_form(path: str) -> str:
    """The decoded request path as the main host signed it: the name percent-encoded (service.file_path)."""
    head, _, name = path.rpartition("/")
    return f"{head}/{quote(name, safe='')}"


def refusal(status: int, message: str) -> Response:
    response = Response(message + "\n", status=status, content_type="text/plain; charset=utf-8")
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = serving.FILE_CSP
    return response
