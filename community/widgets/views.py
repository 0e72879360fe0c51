"""The widgets page for marketers: create, edit, preview, enable or disable, delete, analytics."""
from __future__ import annotations

from flask import Blueprint, Response, flash, jsonify, redirect, render_template, request, url_for

from .. import policies
from ..errors import ValidationFailed
from ..extensions import limiter
from ..models.widgets import WidgetKind, WidgetSort, WidgetTheme
from . import events as widget_events
from . import preview as widget_preview
from . import service as widget_service
from .labels import LANGUAGE_NAMES
from .urls import widget_links
from ..web.helpers import viewer
from ..web.guards import require

bp = Blueprint("widgets", __name__, url_prefix="/widgets")

KIND_LABELS = {
    WidgetKind.solved.value: "Solved questions",
    WidgetKind.latest.value: "Latest threads",
    WidgetKind.search.value: "Search box",
    WidgetKind.ask.value: "Ask the community",
    WidgetKind.stats.value: "Community stats",
}
THEME_LABELS = {WidgetTheme.brand.value: "Brand colours", WidgetTheme.light.value: "Light",
                WidgetTheme.dark.value: "Dark", WidgetTheme.compact.value: "Compact"}
SORT_LABELS = {WidgetSort.latest.value: "Latest verified first", WidgetSort.most_viewed.value: "Most viewed first"}


bp.before_request(require(policies.can_manage_widgets, "Only marketers and administrators can manage widgets."))


@bp.route("/")
def index():
    return render_template(
        "widgets/index.html", widgets=widget_service.list_widgets(viewer()),
        totals=widget_events.totals_by_widget(), kinds=KIND_LABELS,
    )


@bp.route("/new", methods=["GET", "POST"])
def new():
    if request.method == "GET":
        return _form_page(None, widget_service.form_values(None), {})
    values = _submitted()
    try:
        widget = widget_service.create_widget(viewer(), values)
    except ValidationFailed as failure:
        return _form_page(None, values, failure.fields, status=422)
    flash("Widget created. Copy the snippet below into your site.", "success")
    return redirect(url_for("widgets.edit", widget_id=widget.id))


@bp.route("/<int:widget_id>", methods=["GET", "POST"])
def edit(widget_id: int):
    widget = widget_service.get_widget(viewer(), widget_id)
    if request.method == "GET":
        return _form_page(widget, widget_service.form_values(widget), {})
    values = _submitted()
    try:
        widget_service.update_widget(viewer(), widget_id, values)
    except ValidationFailed as failure:
        return _form_page(widget, values, failure.fields, status=422)
    flash("Widget saved.", "success")
    return redirect(url_for("widgets.edit", widget_id=widget_id))


@bp.route("/<int:widget_id>/enabled", methods=["POST"])
def set_enabled(widget_id: int):
    enabled = request.form.get("enabled") == "1"
    widget_service.set_enabled(viewer(), widget_id, enabled)
    flash("Widget enabled." if enabled else "Widget disabled: it no longer renders anywhere.", "success")
    return redirect(url_for("widgets.index"))


@bp.route("/<int:widget_id>/delete", methods=["POST"])
def delete(widget_id: int):
    widget_service.delete_widget(viewer(), widget_id)
    flash("Widget deleted.", "success")
    return redirect(url_for("widgets.index"))


@bp.route("/preview", methods=["POST"])
@limiter.limit("240 per minute")
def preview():
    """The live preview: the form's current settings, unsaved, as the embed's JSON."""
    raw_id = request.form.get("widget_id", "")
    widget_id = int(raw_id) if raw_id.isdigit() and len(raw_id) <= 9 else None
    try:
        return _no_store(jsonify(widget_preview.preview(viewer(), _submitted(), widget_links(), widget_id)))
    except ValidationFailed as failure:
        return _preview_error(failure)


@bp.route("/preview/search", methods=["POST"])
@limiter.limit("240 per minute")
def preview_search():
    """Live search results for a draft search widget in the preview."""
    try:
        return _no_store(jsonify(widget_preview.preview_search(viewer(), _submitted(), request.form.get("q", ""), widget_links())))
    except ValidationFailed as failure:
        return _preview_error(failure)


def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


def _preview_error(failure: ValidationFailed) -> Response:
    body = {"error": {"status": 422, "message": failure.message, "fields": failure.fields}}
    return _no_store(jsonify(body)), 422


def _submitted() -> dict:
    values = {name: request.form.get(name, "") for name in widget_service.FORM_FIELDS}
    values["category_ids"] = request.form.getlist("category_ids")
    return values


def _form_page(widget, values: dict, errors: dict, status: int = 200):
    return render_template(
        "widgets/form.html", widget=widget, values=values, errors=errors,
        kinds=KIND_LABELS, themes=THEME_LABELS, sorts=SORT_LABELS, languages=LANGUAGE_NAMES,
        categories=widget_service.widget_categories_choices(viewer()),
        events=widget_events.daily_rows(widget.id) if widget else [],
    ), status
