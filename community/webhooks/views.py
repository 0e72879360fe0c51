"""Admin pages for outgoing webhooks: endpoints, their delivery log, test events and redelivery.

A new or rotated signing secret is shown once, on the response to the form that made it.
"""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for

from .. import policies
from ..errors import ValidationFailed
from ..extensions import limiter
from . import endpoints
from . import delivery as webhooks
from ..web.helpers import viewer
from ..web.guards import require

bp = Blueprint("webhooks_admin", __name__, url_prefix="/admin/webhooks")
# Each test or redelivery makes an outgoing request: keep a script from turning admin into a cannon.
send_limit = limiter.limit("30 per minute", methods=["POST"])
NO_STORE = {"Cache-Control": "no-store"}


bp.before_request(require(policies.can_manage_webhooks, "Only administrators can manage webhooks."))


def _submitted() -> endpoints.EndpointInput:
    form = request.form
    return endpoints.EndpointInput(form.get("url", ""), form.get("description", ""), form.getlist("events"))


def _form(data: endpoints.EndpointInput, errors: dict, endpoint=None, status: int = 200):
    page = render_template("admin/webhooks_form.html", data=data, errors=errors, endpoint=endpoint,
                           event_types=webhooks.EVENT_TYPES)
    return page, status


@bp.route("")
def index():
    return render_template("admin/webhooks.html", endpoints=endpoints.list_endpoints(viewer()))


@bp.route("/new", methods=["GET", "POST"])
def new():
    if request.method == "GET":
        return _form(endpoints.EndpointInput(events=list(webhooks.EVENT_TYPES)), {})
    data = _submitted()
    try:
        endpoint, secret = endpoints.create_endpoint(viewer(), data)
    except ValidationFailed as failure:
        return _form(data, failure.fields, status=422)
    flash("Endpoint registered. Copy its signing secret now: it is not shown again.", "success")
    return _show(endpoint.id, secret=secret)


@bp.route("/<int:endpoint_id>")
def show(endpoint_id: int):
    return _show(endpoint_id)


def _show(endpoint_id: int, *, secret: str | None = None):
    user = viewer()
    endpoint = endpoints.get_endpoint(user, endpoint_id)
    page_number = request.args.get("page", 1, type=int) or 1
    log = endpoints.delivery_log(user, endpoint_id, max(1, page_number))
    page = render_template("admin/webhooks_show.html", endpoint=endpoint, log=log, secret=secret,
                           event_types=webhooks.EVENT_TYPES)
    return page, 200, NO_STORE


@bp.route("/<int:endpoint_id>/edit", methods=["GET", "POST"])
def edit(endpoint_id: int):
    endpoint = endpoints.get_endpoint(viewer(), endpoint_id)
    if request.method == "GET":
        return _form(endpoints.EndpointInput(endpoint.url, endpoint.description, list(endpoint.events)), {}, endpoint)
    data = _submitted()
    try:
        endpoints.update_endpoint(viewer(), endpoint_id, data)
    except ValidationFailed as failure:
        return _form(data, failure.fields, endpoint, status=422)
    flash("Endpoint saved.", "success")
    return redirect(url_for("webhooks_admin.show", endpoint_id=endpoint_id))


@bp.route("/<int:endpoint_id>/enable", methods=["POST"])
def enable(endpoint_id: int):
    endpoints.set_enabled(viewer(), endpoint_id, True)
    flash("Endpoint switched on. Pending deliveries go out now.", "success")
    return redirect(url_for("webhooks_admin.show", endpoint_id=endpoint_id))


@bp.route("/<int:endpoint_id>/disable", methods=["POST"])
def disable(endpoint_id: int):
    endpoints.set_enabled(viewer(), endpoint_id, False)
    flash("Endpoint switched off. No new events are recorded for it.", "success")
    return redirect(url_for("webhooks_admin.show", endpoint_id=endpoint_id))


@bp.route("/<int:endpoint_id>/rotate-secret", methods=["POST"])
def rotate_secret(endpoint_id: int):
    secret = endpoints.rotate_secret(viewer(), endpoint_id)
    flash("New signing secret made. Copy it now and give it to the receiver: the old one stops working.", "success")
    return _show(endpoint_id, secret=secret)


@bp.route("/<int:endpoint_id>/delete", methods=["POST"])
def delete(endpoint_id: int):
    url = endpoints.delete_endpoint(viewer(), endpoint_id)
    flash(f"Endpoint {url} deleted with its delivery log.", "success")
    return redirect(url_for("webhooks_admin.index"))


@bp.route("/<int:endpoint_id>/test", methods=["POST"])
@send_limit
def send_test(endpoint_id: int):
    try:
        endpoints.send_test(viewer(), endpoint_id)
    except ValidationFailed as failure:
        flash(failure.message, "error")
    else:
        flash("Test event sent; its delivery is at the top of the log.", "success")
    return redirect(url_for("webhooks_admin.show", endpoint_id=endpoint_id))


@bp.route("/<int:endpoint_id>/deliveries/<int:delivery_id>/redeliver", methods=["POST"])
@send_limit
def redeliver(endpoint_id: int, delivery_id: int):
    try:
        endpoints.redeliver(viewer(), endpoint_id, delivery_id)
    except ValidationFailed as failure:
        flash(failure.message, "error")
    else:
        flash("Redelivery queued (same event id, so the receiver can tell it is a repeat).", "success")
    return redirect(url_for("webhooks_admin.show", endpoint_id=endpoint_id))
