"""Users: staff list and read every account; others read public profiles."""
from __future__ import annotations

from datetime import datetime

from flask import jsonify

from ..services import api_listings
from . import bp, serializers
from .responses import arg_limit, decode_cursor, listing
from .tokens import api_user, requires


@bp.get("/users")
@requires("read")
def user_list():
    viewer = api_user()
    rows, position = api_listings.users(viewer, after=decode_cursor((datetime, int)), limit=arg_limit())
    return listing([serializers.user(viewer, row) for row in rows], position)


@bp.get("/users/<int:user_id>")
@requires("read")
def user_read(user_id: int):
    viewer = api_user()
    return jsonify(serializers.user(viewer, api_listings.user_for_viewer(viewer, user_id)))
