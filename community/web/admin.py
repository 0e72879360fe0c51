"""Admin pages: dashboard, branding settings, categories; and the public route serving the logo."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for

from .. import policies
from ..errors import ValidationFailed
from ..models import Visibility
from ..services import branding as branding_service
from ..services import categories as category_service
from .helpers import viewer
from .guards import require

bp = Blueprint("admin", __name__, url_prefix="/admin")
# The logo is public (every page shows it), so it lives outside /admin.
brand_bp = Blueprint("brand", __name__)

VISIBILITY_LABELS = {
    Visibility.public.value: "Public: anyone",
    Visibility.members.value: "Members: signed-in users",
    Visibility.customers.value: "Customers: verified customers and staff",
    Visibility.staff.value: "Staff only",
}
BLANK_FOOTER_ROWS = 2


bp.before_request(require(policies.can_manage_site, "Only administrators can open the admin pages."))


@bp.route("/")
def index():
    return render_template("admin/index.html")


# --- branding ------------------------------------------------------------------------------------


@bp.route("/settings", methods=["GET", "POST"])
def settings():
    if request.method == "GET":
        return _settings_page(branding_service.get_branding(), {})
    submitted = _branding_form()
    upload = request.files.get("logo")
    try:
        branding_service.update_branding(
            viewer(), submitted, logo=upload.stream if upload and upload.filename else None,
            remove_logo=request.form.get("remove_logo") == "1",
        )
    except ValidationFailed as failure:
        submitted["logo_path"] = branding_service.get_branding()["logo_path"]
        return _settings_page(submitted, failure.fields, status=422)
    flash("Branding saved.", "success")
    return redirect(url_for("admin.settings"))


def _branding_form() -> dict:
    fields = ("name", "tagline", "primary_color", "accent_color", "footer_text", "custom_css", "base_url")
    values = {field: request.form.get(field, "") for field in fields}
    labels, urls = request.form.getlist("footer_label"), request.form.getlist("footer_url")
    values["footer_links"] = [
        {"label": label, "url": url} for label, url in zip(labels, urls, strict=False)
    ]
    return values


def _settings_page(values: dict, errors: dict, status: int = 200):
    rows = [link for link in values.get("footer_links") or [] if link.get("label") or link.get("url")]
    rows += [{"label": "", "url": ""}] * BLANK_FOOTER_ROWS
    return render_template("admin/settings.html", values=values, errors=errors, footer_rows=rows), status


@brand_bp.route("/brand/logo/<name>")
def logo(name: str):
    png = branding_service.logo_png(name)
    if png is None:
        abort(404)
    response = current_app.response_class(png, mimetype="image/png")
    # The file name carries a content hash, so it never changes under the same URL.
    response.cache_control.max_age = 31536000
    response.cache_control.public = True
    return response


# --- categories ----------------------------------------------------------------------------------


@bp.route("/categories")
def categories():
    live, deleted = category_service.admin_categories(viewer())
    return render_template("admin/categories.html", categories=live, deleted=deleted)


@bp.route("/categories/new", methods=["GET", "POST"])
def new_category():
    if request.method == "GET":
        return _category_form(category_service.CategoryInput(), {}, category=None)
    data = _category_input()
    try:
        category = category_service.create_category(viewer(), data)
    except ValidationFailed as failure:
        return _category_form(data, failure.fields, category=None, status=422)
    flash(f"Category “{category.name}” created.", "success")
    return redirect(url_for("admin.categories"))


@bp.route("/categories/<int:category_id>/edit", methods=["GET", "POST"])
def edit_category(category_id: int):
    category = category_service.category_for_admin(viewer(), category_id)
    if request.method == "GET":
        current = category_service.CategoryInput(
            category.name, category.slug, category.description, category.visibility.value, str(category.position)
        )
        return _category_form(current, {}, category=category)
    data = _category_input()
    try:
        category_service.update_category(viewer(), category_id, data)
    except ValidationFailed as failure:
        return _category_form(data, failure.fields, category=category, status=422)
    flash(f"Category “{category.name}” saved.", "success")
    return redirect(url_for("admin.categories"))


def _category_input() -> category_service.CategoryInput:
    form = request.form
    return category_service.CategoryInput(
        name=form.get("name", ""), slug=form.get("slug", ""), description=form.get("description", ""),
        visibility=form.get("visibility", ""), position=form.get("position", ""),
    )


def _category_form(data, errors: dict, category, status: int = 200):
    page = render_template(
        "admin/category_form.html", data=data, errors=errors, category=category, visibilities=VISIBILITY_LABELS
    )
    return page, status


@bp.route("/categories/<int:category_id>/move", methods=["POST"])
def move_category(category_id: int):
    category_service.move_category(viewer(), category_id, request.form.get("direction", ""))
    return redirect(url_for("admin.categories"))


@bp.route("/categories/<int:category_id>/delete", methods=["POST"])
def delete_category(category_id: int):
    category = category_service.delete_category(viewer(), category_id)
    flash(f"Category “{category.name}” deleted. Staff still see it; you can restore it below.", "success")
    return redirect(url_for("admin.categories"))


@bp.route("/categories/<int:category_id>/restore", methods=["POST"])
def restore_category(category_id: int):
    category = category_service.restore_category(viewer(), category_id)
    flash(f"Category “{category.name}” restored.", "success")
    return redirect(url_for("admin.categories"))
