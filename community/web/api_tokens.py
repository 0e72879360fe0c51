"""Pages for API tokens: members' personal tokens in account settings, service tokens in admin.

A new token's secret is shown once, on the response to the form that created it, and never again.
"""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import login_required

from ..errors import ValidationFailed
from ..extensions import limiter
from ..services import api_tokens
from .helpers import viewer

bp = Blueprint("api_tokens", __name__)

# Creating and revoking tokens is rare; this only stops a script from minting thousands.
token_form_limit = limiter.limit("30 per hour", methods=["POST"])


def _page(service: bool, *, new=None, values: dict | None = None, errors: dict | None = None, status: int = 200):
    user = viewer()
    tokens = api_tokens.service_tokens(user) if service else api_tokens.personal_tokens(user)
    response = render_template(
        "account/tokens.html", service=service, tokens=tokens, new=new, values=values or {"scopes": ["read"]},
        errors=errors or {}, scopes=api_tokens.SCOPES, allowed=_allowed_scopes(user), is_live=api_tokens.is_live,
    )
    # The page may hold a secret shown once: never keep it in a cache or the back-button history.
    return response, status, {"Cache-Control": "no-store"}


def _allowed_scopes(user) -> list[str]:
    return [scope for scope in api_tokens.SCOPES if api_tokens.clean_scopes([scope], user)[1] is None]


def _submitted() -> dict:
    return {"name": request.form.get("name", ""), "scopes": request.form.getlist("scopes"),
            "expires_in_days": request.form.get("expires_in_days", "")}


def _create(service: bool):
    values = _submitted()
    make = api_tokens.create_service_token if service else api_tokens.create_personal_token
    try:
        new = make(viewer(), values["name"], values["scopes"], values["expires_in_days"])
    except ValidationFailed as failure:
        return _page(service, values=values, errors=failure.fields, status=422)
    return _page(service, new=new, status=201)


def _revoke(token_id: int, service: bool):
    token = api_tokens.revoke(viewer(), token_id)
    flash(f"Token “{token.name}” revoked. Programs using it can no longer call the API.", "success")
    return redirect(url_for("api_tokens.service_tokens" if service else "api_tokens.personal_tokens"))


@bp.route("/settings/tokens", methods=["GET", "POST"])
@login_required
@token_form_limit
def personal_tokens():
    return _create(service=False) if request.method == "POST" else _page(service=False)


@bp.post("/settings/tokens/<int:token_id>/revoke")
@login_required
def revoke_personal(token_id: int):
    return _revoke(token_id, service=False)


@bp.route("/admin/api-tokens", methods=["GET", "POST"])
@login_required
@token_form_limit
def service_tokens():
    return _create(service=True) if request.method == "POST" else _page(service=True)


@bp.post("/admin/api-tokens/<int:token_id>/revoke")
@login_required
def revoke_service(token_id: int):
    return _revoke(token_id, service=True)

