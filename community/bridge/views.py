"""/staff/bridge: the X bridge triage inbox (staff), its status page and settings (admins).

Each view parses the form, calls one service function and maps refusals to responses; the
services check permissions, write audit rows and do the compare-and-set on case versions.
"""
from __future__ import annotations

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for

from .classify import LABELS
from ..errors import ValidationFailed
from ..services import inbox
from . import followup as bridge_followup
from . import ingest as bridge_ingest
from . import respond as bridge_invite
from . import invite_links as bridge_invites
from . import settings as bridge_settings
from . import triage as bridge_triage
from ..web.errors import wants_json
from ..web.helpers import viewer

bp = Blueprint("bridge", __name__, url_prefix="/staff/bridge")


def _int_field(name: str, required: bool = True) -> int | None:
    raw = (request.form.get(name) or "").strip()
    if not raw and not required:
        return None
    if not raw.isdigit() or len(raw) > 11:
        abort(400, description=f"The form is missing a valid {name}; reload the page and try again.")
    return int(raw)


def _case_json(case):
    return jsonify(id=case.id, status=case.status.value, label=case.label, version=case.version,
                   assigned_to_id=case.assigned_to_id)


def _back_to_inbox():
    return redirect(request.form.get("back") if (request.form.get("back") or "").startswith("/staff/bridge")
                    else url_for("bridge.index"))


@bp.route("")
def index():
    user = viewer()
    filters = bridge_triage.InboxFilters.parse(request.args)
    cases = bridge_triage.inbox(user, filters)
    return render_template(
        "bridge/inbox.html", cases=cases, filters=filters, labels=LABELS, priority=bridge_triage.priority,
        status_filters=bridge_triage.STATUS_FILTERS, staff=inbox.staff_members(),
        canned=bridge_settings.canned_responses(), status_words=bridge_triage.STATUS_WORDS,
        followup_ready=bridge_followup.ready_case_ids(cases),
    )


@bp.route("/cases/<int:case_id>/act", methods=["POST"])
def act(case_id: int):
    case = bridge_triage.act(viewer(), case_id, request.form.get("action", ""), _int_field("version"))
    if wants_json():
        return _case_json(case)
    flash(f"Case {case.id} is now {bridge_triage.STATUS_WORDS[case.status]}.", "success")
    return _back_to_inbox()


@bp.route("/cases/<int:case_id>/label", methods=["POST"])
def label(case_id: int):
    case = bridge_triage.set_label(viewer(), case_id, request.form.get("label", ""), _int_field("version"),
                                   _int_field("canned", required=False))
    if wants_json():
        return _case_json(case)
    flash(f"Case {case.id} labelled {case.label}.", "success")
    return _back_to_inbox()


@bp.route("/cases/<int:case_id>/assign", methods=["POST"])
def assign(case_id: int):
    case = bridge_triage.assign(viewer(), case_id, _int_field("assignee", required=False), _int_field("version"))
    if wants_json():
        return _case_json(case)
    flash("Assignment saved.", "success")
    return _back_to_inbox()


@bp.route("/cases/<int:case_id>/invite", methods=["POST"])
def invite(case_id: int):
    case = bridge_invite.invite(viewer(), case_id, _int_field("version"))
    if wants_json():
        return _case_json(case)
    flash(f"Invite queued for @{case.author_username or case.author_id}.", "success")
    return _back_to_inbox()


@bp.route("/cases/<int:case_id>/reply", methods=["POST"])
def reply(case_id: int):
    case = bridge_invite.reply(viewer(), case_id, _int_field("version"), _int_field("canned", required=False))
    if wants_json():
        return _case_json(case)
    flash(f"Reply queued for @{case.author_username or case.author_id}.", "success")
    return _back_to_inbox()


@bp.route("/cases/<int:case_id>/followup", methods=["POST"])
def followup(case_id: int):
    case = bridge_followup.send_followup(viewer(), case_id, _int_field("version"))
    if wants_json():
        return _case_json(case)
    flash("The public follow-up is on its way.", "success")
    return _back_to_inbox()


# --- admin: status and settings ------------------------------------------------------------------


def _status_page(keywords_text: str | None = None, errors: dict | None = None, status: int = 200):
    overview = bridge_ingest.poll_status(viewer())
    text = keywords_text if keywords_text is not None else "\n".join(bridge_settings.keywords())
    return render_template("bridge/status.html", overview=overview, keywords_text=text, errors=errors or {},
                           query=bridge_settings.search_query(), outbox_budget=bridge_invite.budget(),
                           join_refusals=bridge_invites.rejection_counts()), status


@bp.route("/status")
def status():
    return _status_page()


@bp.route("/status/keywords", methods=["POST"])
def save_keywords():
    typed = request.form.get("keywords", "")
    try:
        bridge_settings.save_keywords(viewer(), typed)
    except ValidationFailed as error:
        return _status_page(typed, error.fields, 422)
    flash("Search keywords saved.", "success")
    return redirect(url_for("bridge.status"))


def _canned_page(editing=None, form=None, errors=None, status: int = 200):
    bridge_ingest.poll_status(viewer())  # admins only, same rule as the status page
    return render_template("bridge/canned.html", responses=bridge_settings.canned_responses(), editing=editing,
                           form=form or {}, errors=errors or {}), status


@bp.route("/canned")
def canned():
    return _canned_page()


@bp.route("/canned/<int:canned_id>")
def edit_canned(canned_id: int):
    _canned_page()  # permission first, so a customer never learns which ids exist
    item = bridge_settings.get_canned(canned_id)
    return _canned_page(item, {"title": item.title, "body": item.body})


@bp.route("/canned", methods=["POST"], endpoint="create_canned")
@bp.route("/canned/<int:canned_id>", methods=["POST"])
def save_canned(canned_id: int | None = None):
    form = {"title": request.form.get("title", ""), "body": request.form.get("body", "")}
    try:
        bridge_settings.save_canned(viewer(), canned_id, form["title"], form["body"])
    except ValidationFailed as error:
        editing = bridge_settings.get_canned(canned_id) if canned_id else None
        return _canned_page(editing, form, error.fields, 422)
    flash("Canned response saved.", "success")
    return redirect(url_for("bridge.canned"))


@bp.route("/canned/<int:canned_id>/delete", methods=["POST"])
def delete_canned(canned_id: int):
    bridge_settings.delete_canned(viewer(), canned_id)
    flash("Canned response deleted.", "success")
    return redirect(url_for("bridge.canned"))
