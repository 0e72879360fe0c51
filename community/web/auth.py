"""Sign-up, email verification, sign-in/out, password reset."""
from __future__ import annotations

from flask import Blueprint, render_template

bp = Blueprint("auth", __name__)


@bp.route("/sign-in", methods=["GET", "POST"])
def sign_in():
    return render_template("auth/placeholder.html", heading="Sign in")


@bp.route("/sign-up", methods=["GET", "POST"])
def sign_up():
    return render_template("auth/placeholder.html", heading="Sign up")


@bp.route("/sign-out", methods=["POST"])
def sign_out():
    return render_template("auth/placeholder.html", heading="Sign out")
