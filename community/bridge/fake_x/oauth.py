"""OAuth 2.0 authorization-code flow with PKCE, as X runs it: an authorize page (auto-approved for
the configured user), the token endpoint for codes and single-use refresh tokens."""
from __future__ import annotations

import base64
import hashlib
import secrets
from urllib.parse import urlencode

from flask import Blueprint, Response, jsonify, request

from .api import state
from .state import AuthCode

bp = Blueprint("fake_x_oauth", __name__)


def _page(status: int, message: str) -> Response:
    # Plain text keeps the fake free of HTML escaping concerns; the real page is HTML for a person.
    return Response(message, status=status, content_type="text/plain; charset=utf-8")


@bp.get("/i/oauth2/authorize")
@bp.get("/2/oauth2/authorize")
def authorize() -> Response:
    args = request.args
    client = state().clients.get(args.get("client_id", ""))
    if client is None:
        return _page(400, "Something went wrong: unknown client_id.")
    if args.get("redirect_uri") != client.redirect_uri:
        return _page(400, "Something went wrong: redirect_uri does not match the app's callback URL.")
    if args.get("response_type") != "code" or not args.get("code_challenge") or not args.get("state"):
        return _page(400, "Something went wrong: response_type=code, state and code_challenge are required.")
    method = args.get("code_challenge_method", "plain")
    if method not in ("S256", "plain"):
        return _page(400, "Something went wrong: code_challenge_method must be S256 or plain.")
    user_id = state().authorize_user_id
    if user_id is None:
        return _page(403, "No X account is signed in to approve this app.")
    code = secrets.token_urlsafe(24)
    with state().lock:
        state().codes[code] = AuthCode(client.client_id, user_id, client.redirect_uri, args["code_challenge"],
                                       method, args.get("scope", ""))
    return Response(status=302, headers={"Location": f"{client.redirect_uri}?{urlencode({'state': args['state'], 'code': code})}"})


def _token_error(error: str, description: str, status: int = 400) -> Response:
    response = jsonify({"error": error, "error_description": description})
    response.status_code = status
    return response


def _client_id() -> str | None:
    """The authenticated client: Basic auth for confidential clients, client_id alone for public ones."""
    form = request.form
    client = state().clients.get(request.authorization.username if request.authorization else form.get("client_id", ""))
    if client is None:
        return None
    if client.secret is not None:
        auth = request.authorization
        if auth is None or auth.password != client.secret:
            return None
    return client.client_id


@bp.post("/2/oauth2/token")
def token() -> Response:
    client_id = _client_id()
    if client_id is None:
        return _token_error("unauthorized_client", "Missing valid authorization header", 401)
    grant_type = request.form.get("grant_type")
    if grant_type == "authorization_code":
        return _exchange_code(client_id)
    if grant_type == "refresh_token":
        tokens = state().rotate_refresh_token(request.form.get("refresh_token", ""))
        if tokens is None:
            return _token_error("invalid_request", "Value passed for the token was invalid.")
        return jsonify(tokens)
    return _token_error("invalid_request", "Missing required parameter [grant_type].")


def _exchange_code(client_id: str) -> Response:
    form = request.form
    with state().lock:
        grant = state().codes.pop(form.get("code", ""), None)
    if grant is None or grant.client_id != client_id or grant.redirect_uri != form.get("redirect_uri"):
        return _token_error("invalid_request", "Value passed for the authorization code was invalid.")
    if not _verifier_matches(form.get("code_verifier", ""), grant):
        return _token_error("invalid_request", "Value passed for the code_verifier was invalid.")
    return jsonify(state().issue_user_tokens(grant.user_id, grant.scope))


def _verifier_matches(verifier: str, grant: AuthCode) -> bool:
    if grant.method == "plain":
        return secrets.compare_digest(verifier, grant.challenge)
    digest = hashlib.sha256(verifier.encode("ascii", "replace")).digest()
    expected = base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
    return secrets.compare_digest(expected, grant.challenge)
