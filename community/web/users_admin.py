"""Admin and staff management of users: roles, verified-customer flag."""
from __future__ import annotations

from flask import Blueprint, render_template

bp = Blueprint("users_admin", __name__, url_prefix="/admin/users")


@bp.route("/")
def index():
    return render_template("auth/placeholder.html", heading="Users")
