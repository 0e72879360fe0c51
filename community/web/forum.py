"""Categories, listings, threads and posts."""
from __future__ import annotations

from flask import Blueprint, render_template

bp = Blueprint("forum", __name__)


@bp.route("/")
def index():
    return render_template("auth/placeholder.html", heading="Community")


@bp.route("/latest")
def latest():
    return render_template("auth/placeholder.html", heading="Latest")


@bp.route("/unanswered")
def unanswered():
    return render_template("auth/placeholder.html", heading="Unanswered")


@bp.route("/categories")
def categories():
    return render_template("auth/placeholder.html", heading="Categories")


@bp.route("/c/<slug>")
def category(slug: str):
    return render_template("auth/placeholder.html", heading=slug)


@bp.route("/t/<int:thread_id>-<slug>")
@bp.route("/t/<int:thread_id>", defaults={"slug": ""})
def thread(thread_id: int, slug: str):
    return render_template("auth/placeholder.html", heading=str(thread_id))


@bp.route("/p/<int:post_id>")
def post_permalink(post_id: int):
    return render_template("auth/placeholder.html", heading=str(post_id))
