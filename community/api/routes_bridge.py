"""X bridge cases: staff read the triage inbox and assign cases (moderate scope)."""
from __future__ import annotations

from flask import jsonify, request

from ..bridge import triage as bridge_triage
from . import bp, serializers
from .responses import arg_choice, body_int, json_body, listing
from .tokens import api_user, requires


@bp.get("/bridge/cases")
@requires("read")
def case_list():
    """The inbox, highest priority first: at most bridge_triage.LIMIT cases, so no further pages."""
    for name, allowed in (("label", ("any", *bridge_triage.LABELS)), ("status", bridge_triage.STATUS_FILTERS), ("summoned", bridge_triage.SUMMONED_FILTERS),
                          ("assigned", bridge_triage.ASSIGNED_FILTERS)):
        arg_choice(name, allowed)  # refuse unknown values instead of silently ignoring them
    rows = bridge_triage.inbox(api_user(), bridge_triage.InboxFilters.parse(request.args))
    return listing([serializers.bridge_case(row) for row in rows], None)


@bp.get("/bridge/cases/<int:case_id>")
@requires("read")
def case_read(case_id: int):
    return jsonify(serializers.bridge_case(bridge_triage.get_case(api_user(), case_id)))


@bp.post("/bridge/cases/<int:case_id>/assign")
@requires("moderate")
def case_assign(case_id: int):
    """{"assignee_id": <staff user id> | null, "version": <the case version you saw>}; 409 if it moved on."""
    body = json_body()
    row = bridge_triage.assign(api_user(), case_id, body_int(body, "assignee_id", required=False), body_int(body, "version"))
    return jsonify(serializers.bridge_case(row))
