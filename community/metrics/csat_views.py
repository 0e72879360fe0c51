"""The CSAT question: /csat/<thread_id> for the signed-in asker (from the in-app notification) and
/csat/r/<token> from the email (a GET shows the choice, only the POST records it)."""
from __future__ import annotations

from flask import Blueprint, render_template, request, url_for
from flask_login import login_required

from ..errors import Conflict, ValidationFailed
from ..extensions import limiter
from . import csat
from ..web.helpers import viewer

bp = Blueprint("csat", __name__, url_prefix="/csat")
# The email links work signed out, so answers are limited per client address too.
answer_limit = limiter.limit("20 per minute;200 per hour", methods=["POST"])


def _page(survey, action: str, chosen=None, errors=None, message=None, status=200):
    return render_template(
        "dashboard/csat.html", survey=survey, thread=survey.thread, scores=csat.SCORES, action=action,
        chosen=chosen, errors=errors or {}, message=message, comment=request.form.get("comment", ""),
    ), status


@bp.route("/<int:thread_id>")
@login_required
def respond(thread_id: int):
    return _page(csat.survey_for(viewer(), thread_id), url_for("csat.save", thread_id=thread_id))


@bp.route("/<int:thread_id>", methods=["POST"])
@answer_limit
@login_required
def save(thread_id: int):
    survey = csat.survey_for(viewer(), thread_id)
    return _record(survey, url_for("csat.save", thread_id=thread_id), token=None)


@bp.route("/r/<token>")
def from_email(token: str):
    survey, score = csat.read_link(token)
    return _page(survey, url_for("csat.save_from_email", token=token), chosen=score)


@bp.route("/r/<token>", methods=["POST"])
@answer_limit
def save_from_email(token: str):
    survey, _score = csat.read_link(token)
    return _record(survey, url_for("csat.save_from_email", token=token), token=token)


def _record(survey, action: str, token: str | None):
    """Record the answer and show the thank-you; a form error keeps what was typed (422)."""
    try:
        survey = csat.respond(viewer(), survey.thread_id, request.form.get("score"), request.form.get("comment", ""),
                              token=token)
    except ValidationFailed as error:
        return _page(survey, action, errors=error.fields, message=error.message, status=422)
    except Conflict as error:
        return _page(survey, action, message=error.message, status=409)
    return _page(survey, action)
