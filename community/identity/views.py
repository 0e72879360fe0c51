"""Single sign-on routes: start a sign-in at a provider, its callback, the password proof that
links an existing account, the back-channel logout endpoint, the end-session offer after signing
out, and /admin/identity. Thin: parse, call one service, render or redirect."""
from __future__ import annotations

import secrets

from flask import Blueprint, abort, current_app, flash, jsonify, redirect, render_template, request, session, url_for
from flask_login import login_user

from .. import policies
from ..errors import NotFound, ServiceError, ValidationFailed
from ..extensions import csrf, limiter
from ..services import accounts as account_service
from ..web.guards import require
from ..web.helpers import viewer
from ..web.security import safe_next
from . import accounts, logout, providers, service
from .service import SignInRefused

bp = Blueprint("identity", __name__, url_prefix="/sso")
admin_bp = Blueprint("identity_admin", __name__, url_prefix="/admin/identity")
admin_bp.before_request(require(policies.can_manage_identity, "Only administrators manage sign-in providers."))

PENDING_KEY = "sso_pending"
LINK_KEY = "sso_link"
LOGOUT_KEY = "sso_logout"


def _client_key() -> str:
    return f"{current_app.config.get('RATELIMIT_KEY_PREFIX', '')}:sso:{request.remote_addr or 'unknown'}"


sso_limit = limiter.shared_limit(lambda: current_app.config["RATELIMIT_SSO"], scope="sso", key_func=_client_key)


@bp.errorhandler(SignInRefused)
def _refused(error: SignInRefused):
    return render_template("identity/refused.html", error=error), error.status_code


@bp.errorhandler(NotFound)
def _no_provider(error: NotFound):
    return render_template("identity/refused.html", error=error), 404


def _callback_url(slug: str) -> str:
    return url_for("identity.callback", slug=slug, _external=True)


@bp.get("/<slug>/start")
@sso_limit
def start(slug: str):
    """A link, not a form: the CSP's form-action 'self' would stop a form redirected to the provider."""
    next_path = safe_next(request.args.get("next"))
    url, pending = service.start(slug, _callback_url(slug), next_path)
    session[PENDING_KEY] = pending.as_dict()
    return redirect(url)


@bp.get("/<slug>/callback")
@sso_limit
def callback(slug: str):
    pending = session.pop(PENDING_KEY, None)
    identity = service.finish(slug, pending, request.args.to_dict(), _callback_url(slug))
    outcome = accounts.resolve(identity)
    if outcome.needs_link is not None:
        session[LINK_KEY] = outcome.needs_link.as_dict()
        return redirect(url_for("identity.link"))
    return _sign_in(outcome.user, identity.provider, identity.subject, identity.claims, identity.id_token, identity.next)


def _sign_in(user, provider, subject, claims, id_token, next_path):
    login_user(account_service.begin_login(user))
    accounts.record_login(user, provider, subject, claims, id_token)
    flash(f"Signed in as {user.display_name} with {provider.name}.", "success")
    return redirect(safe_next(next_path))


@bp.route("/link", methods=["GET", "POST"])
@sso_limit
def link():
    """The provider signed you in as someone whose email has an account here: prove that account."""
    pending = accounts.PendingLink.from_dict(session.get(LINK_KEY))
    if pending is None:
        raise service.refuse("state_missing", "link")
    provider = providers.get(pending.provider)
    error = None
    status = 200
    if request.method == "POST":
        if request.form.get("action") == "cancel":
            session.pop(LINK_KEY, None)
            flash("Nothing was linked and nobody was signed in.", "info")
            return redirect(url_for("auth.sign_in"))
        try:
            user = accounts.link_with_password(pending, provider, request.form.get("password", ""))
        except ServiceError as failed:
            error, status = failed.message, failed.status_code
        else:
            session.pop(LINK_KEY, None)
            return _sign_in(user, provider, pending.subject, pending.claims, pending.id_token, pending.next)
    return render_template("identity/link.html", pending=pending, provider=provider, error=error), status


@bp.post("/<slug>/backchannel-logout")
@csrf.exempt
@sso_limit
def backchannel_logout(slug: str):
    """OpenID Connect Back-Channel Logout: a server-to-server POST, so no CSRF token and no cookie."""
    try:
        ended = logout.backchannel_logout(slug, request.form.get("logout_token", ""))
    except SignInRefused as refused:
        return _no_store(jsonify(error="invalid_request", error_description=refused.message), 400)
    except NotFound:
        return _no_store(jsonify(error="invalid_request", error_description="There is no such provider."), 404)
    return _no_store(jsonify(ended=ended), 200)


def _no_store(response, status):
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return response


def remember_for_logout(login_id: str | None) -> None:
    """Called by /sign-out before the sign-in ends: keep what the end-session offer needs."""
    offer = logout.provider_logout(login_id)
    if offer is not None:
        session[LOGOUT_KEY] = {"provider": offer.provider, "name": offer.name, "id_token": offer.id_token}


def after_sign_out():
    """Where /sign-out goes next: the end-session offer when the sign-in came from a provider."""
    if session.get(LOGOUT_KEY):
        return redirect(url_for("identity.signed_out"))
    return None


@bp.get("/signed-out")
def signed_out():
    """Signed out of Parley; a link (not a form: CSP form-action) signs out at the provider too."""
    offer = session.get(LOGOUT_KEY)
    if not offer:
        return redirect(url_for("forum.index"))
    state = secrets.token_urlsafe(16)
    session[LOGOUT_KEY] = {**offer, "state": state}
    url = logout.end_session_url(offer["provider"], offer.get("id_token", ""),
                                 url_for("identity.after_provider_logout", _external=True), state)
    return render_template("identity/signed_out.html", name=offer["name"], end_session_url=url)


@bp.get("/logged-out")
def after_provider_logout():
    """The provider's post-logout redirect."""
    session.pop(LOGOUT_KEY, None)
    flash("You are signed out here and at your sign-in provider.", "info")
    return redirect(url_for("forum.index"))


# --- /admin/identity -------------------------------------------------------------------------------


@admin_bp.get("/")
def index():
    return render_template("identity/admin.html", providers=providers.all_providers())


@admin_bp.route("/new", methods=["GET", "POST"])
def new():
    return _provider_form(None)


@admin_bp.route("/<int:provider_id>", methods=["GET", "POST"])
def edit(provider_id: int):
    return _provider_form(provider_id)


def _provider_form(provider_id: int | None):
    existing = None
    if provider_id is not None:
        existing = next((p for p in providers.all_providers() if p.id == provider_id), None)
        if existing is None:
            abort(404)
    values, errors, message, status = providers.as_form(existing), {}, None, 200
    if request.method == "POST":
        values = request.form.to_dict()
        try:
            providers.save_provider(viewer(), values, provider_id)
        except ValidationFailed as failed:
            errors, message, status = failed.fields, failed.message, failed.status_code
        else:
            flash("Sign-in provider saved.", "success")
            return redirect(url_for("identity_admin.index"))
    return render_template("identity/admin_form.html", values=values, errors=errors, message=message,
                           provider_id=provider_id), status


@admin_bp.post("/<int:provider_id>/delete")
def delete(provider_id: int):
    try:
        providers.delete_provider(viewer(), provider_id)
    except NotFound:
        abort(404)
    flash("Sign-in provider removed. Accounts linked to it keep their other ways in.", "info")
    return redirect(url_for("identity_admin.index"))
