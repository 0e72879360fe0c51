"""/staff/inbox: what waits for a staff response, and assigning threads to staff."""
from __future__ import annotations

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for

from ..services import inbox
from ..metrics import sla
from .errors import wants_json
from .helpers import viewer

bp = Blueprint("inbox", __name__, url_prefix="/staff/inbox")


@bp.route("")
def index():
    user = viewer()
    view = inbox.parse_view(request.args.get("view"))
    needs = inbox.needs_response(user, view)
    replied = inbox.customer_replied(user, view)
    clocks = sla.inbox_clocks([*needs, *replied])
    at_risk = sorted((t for t in [*needs, *replied] if t.id in clocks), key=lambda t: clocks[t.id].seconds_left)
    return render_template(
        "inbox/index.html", view=view, views=inbox.VIEWS, needs_response=needs, customer_replied=replied,
        staff=inbox.staff_members(), waiting_since=inbox.waiting_since,
        sla_clocks=clocks, at_risk=at_risk, countdown=sla.countdown,
    )


def _assignee_id() -> int | None:
    raw = (request.form.get("assignee") or "").strip()
    if not raw:
        return None
    return int(raw) if raw.isdigit() and len(raw) < 12 else -1  # -1: no such user, the service says so


@bp.route("/assign/<int:thread_id>", methods=["POST"])
def assign(thread_id: int):
    thread = inbox.assign(viewer(), thread_id, _assignee_id())
    if wants_json():
        return jsonify(thread_id=thread.id, assigned_to_id=thread.assigned_to_id)
    flash("Assignment saved.", "success")
    return redirect(url_for("inbox.index", view=inbox.parse_view(request.form.get("view"))))
