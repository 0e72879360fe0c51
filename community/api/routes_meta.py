"""The token's own identity, and the OpenAPI document."""
from __future__ import annotations

from flask import jsonify

from . import bp, openapi, serializers
from .tokens import current_token, requires


@bp.get("/me")
@requires("read")
def me():
    token = current_token()
    return jsonify({"token": serializers.token(token), "user": serializers.user(token.user, token.user)})


@bp.get("/openapi.json")
def openapi_document():
    """Public: describes the API, holds no data."""
    return jsonify(openapi.document())
