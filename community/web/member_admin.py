"""Admin and staff management of users: roles, verified-customer flag."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import login_required

from ..errors import ValidationFailed
from ..models import Role
from ..services import user_admin
from .helpers import viewer
from .security import safe_next

bp = Blueprint("users_admin", __name__, url_prefix="/admin/users")


@bp.route("/")
@login_required
def index():
    query = request.args.get("q", "")
    page = request.args.get("page", 1, type=int) or 1
    try:
        result = user_admin.list_users(viewer(), query, page)
    except ValidationFailed as failed:
        # A bad search term (say, a NUL byte) shows the list unfiltered with the message.
        flash(failed.fields.get("q", failed.message), "error")
        return redirect(url_for("users_admin.index"))
    return render_template(
        "users_admin/index.html", result=result, query=query,
        roles=[role.value for role in Role],
        return_to=request.full_path.rstrip("?"),
    )


def _back() -> str:
    return safe_next(request.form.get("return_to"), url_for("users_admin.index"))


@bp.route("/<int:user_id>/role", methods=["POST"])
@login_required
def set_role(user_id: int):
    user = user_admin.set_role(viewer(), user_id, request.form.get("role", ""))
    flash(f"{user.display_name} is now {user.role.value}.", "success")
    return redirect(_back())


@bp.route("/<int:user_id>/verified-customer", methods=["POST"])
@login_required
def set_verified_customer(user_id: int):
    verified = request.form.get("verified") in {"1", "y", "on", "true"}
    user = user_admin.set_verified_customer(viewer(), user_id, verified)
    state = "a verified customer" if user.is_verified_customer else "no longer a verified customer"
    flash(f"{user.display_name} is {state}.", "success")
    return redirect(_back())
