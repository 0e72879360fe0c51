"""Profiles and account settings."""
from __future__ import annotations

from flask import Blueprint, render_template

bp = Blueprint("account", __name__)


@bp.route("/u/<username>")
def profile(username: str):
    return render_template("auth/placeholder.html", heading=username)
