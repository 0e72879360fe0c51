"""/staff/dashboard: service metrics with filters, SVG charts that read as tables, CSV export of
every table, and the SLA targets page."""
from __future__ import annotations

import csv
import io

from flask import Blueprint, Response, flash, jsonify, redirect, render_template, request, url_for

from ..errors import NotFound, ValidationFailed
from ..extensions import limiter
from ..services import inbox
from . import dashboard as metrics
from . import sla
from ..services.categories import ordered_categories
from ..web.errors import wants_json
from ..web.helpers import viewer

bp = Blueprint("dashboard", __name__, url_prefix="/staff/dashboard")
# Each render reads every rollup; a generous cap keeps a stuck script from hogging the database.
read_limit = limiter.limit("120 per minute")

# Spreadsheet apps run cells starting with these as formulas (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _filters_or_errors():
    try:
        return metrics.parse_filters(request.args), {}
    except ValidationFailed as error:
        return metrics.parse_filters({}), error.fields


@bp.route("")
@read_limit
def index():
    filters, errors = _filters_or_errors()
    result = metrics.dashboard(viewer(), filters)
    if wants_json():
        return jsonify(result)
    status = 422 if errors else 200
    return render_template(
        "dashboard/index.html", result=result, errors=errors, args=request.args, channels=metrics.CHANNELS,
        categories=ordered_categories(),
        staff=inbox.staff_members() if result["scope"] == "all" else [], duration=duration,
        display_cell=display_cell,
    ), status


@bp.route("/export/<name>.csv")
@read_limit
def export(name: str):
    filters, errors = _filters_or_errors()
    if errors:
        raise ValidationFailed("Some filters need fixing.", fields=errors)
    result = metrics.dashboard(viewer(), filters)
    table = result["tables"].get(name)
    if table is None:
        raise NotFound("There is no such table.")
    filename = f"{name}-{filters.start.isoformat()}-{filters.end.isoformat()}.csv"
    return Response(to_csv(table), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def to_csv(table: dict) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([safe_cell(c) for c in table["columns"]])
    for row in table["rows"]:
        writer.writerow([safe_cell(c) for c in row])
    return out.getvalue()


def safe_cell(value) -> str:
    """Text a spreadsheet shows as text: a leading formula character gets a quote in front.
    Numbers stay numbers (a negative number is data, not a formula)."""
    if value is None:
        return ""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def display_cell(column: str, value) -> str:
    """A table cell for people: durations (columns ending _s) readable, rates as percentages.
    A Python function rather than a template macro: a 90-day page has thousands of cells."""
    if value is None:
        return "–"
    if column.endswith("_s"):
        return duration(value)
    if column.endswith(("rate", "share")) or column.startswith("from_"):
        return f"{value * 100:.1f}%"
    return str(value)


def duration(seconds) -> str:
    """Seconds as '3 d 4 h', '2 h 5 min', '40 s' for people; CSV keeps the raw seconds."""
    if seconds is None:
        return "–"
    seconds = int(seconds)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes} min"
    return f"{minutes} min" if minutes else f"{secs} s"


# --- SLA targets (admins) -----------------------------------------------------------------------


@bp.route("/sla")
def sla_settings():
    categories, targets, email = sla.settings_form(viewer())
    return render_template("dashboard/sla.html", categories=categories, targets=targets, alert_email=email,
                           form=None, errors={})


@bp.route("/sla", methods=["POST"])
def save_sla():
    categories, targets, email = sla.settings_form(viewer())
    raw = {c.id: (request.form.get(f"first_{c.id}", ""), request.form.get(f"resolution_{c.id}", ""))
           for c in categories}
    try:
        sla.save_settings(viewer(), raw, request.form.get("alert_email", ""))
    except ValidationFailed as error:
        return render_template("dashboard/sla.html", categories=categories, targets=targets, form=request.form,
                               alert_email=request.form.get("alert_email", ""), errors=error.fields,
                               message=error.message), 422
    flash("SLA targets saved.", "success")
    return redirect(url_for("dashboard.sla_settings"))
