"""Admin pages: branding, categories, roles."""
from __future__ import annotations

from flask import Blueprint, render_template

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.route("/")
def index():
    return render_template("auth/placeholder.html", heading="Admin")
