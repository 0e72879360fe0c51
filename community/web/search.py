"""Search page and similar-question suggestions."""
from __future__ import annotations

from flask import Blueprint, render_template

bp = Blueprint("search", __name__)


@bp.route("/search")
def search():
    return render_template("auth/placeholder.html", heading="Search")
