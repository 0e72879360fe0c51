"""/join/<token>: where a customer invited on X lands, signs up or in, links their X account (and
may prove it with Log in with X), then starts a thread pre-filled with their complaint.

A GET never claims the invite (link-preview bots fetch it); the claim is a CSRF-protected POST.
Refused links (tampered, expired, used, another author's) get a clear page with the right status.
"""
from __future__ import annotations

from flask import Blueprint, current_app, redirect, render_template, request, session, url_for

from .. import policies
from ..errors import ServiceError, ValidationFailed
from ..extensions import limiter
from ..services import forum, posts, threads
from . import invite_links as bridge_invites
from . import linking as bridge_linking
from .invite_links import InviteRefused
from ..web.forms import ThreadForm, int_or_none, is_preview, posting_limit
from ..web.helpers import thread_url, viewer

bp = Blueprint("bridge_join", __name__, url_prefix="/join")

X_LOGIN_SESSION_KEY = "bridge_x_login"


def _client_key() -> str:
    return f"{current_app.config.get('RATELIMIT_KEY_PREFIX', '')}:join:{request.remote_addr or 'unknown'}"


# One budget for every /join route, so guessing tokens and hammering the claim draw on the same count.
join_limit = limiter.shared_limit(lambda: current_app.config["RATELIMIT_JOIN"], scope="join", key_func=_client_key)


@bp.errorhandler(InviteRefused)
def _refused_page(error: InviteRefused):
    return render_template("bridge/join_refused.html", error=error), error.status_code


def _composer_url(token: str) -> str:
    return url_for("bridge_join.thread", token=token)


@bp.get("/<token>")
@join_limit
def land(token: str):
    user = viewer()
    landing = bridge_invites.land(token, user)
    if landing.claimed_by_viewer:
        if landing.case.linked_thread_id is not None:
            return redirect(url_for("forum.thread", thread_id=landing.case.linked_thread_id))
        return redirect(_composer_url(token))
    return render_template("bridge/join.html", token=token, landing=landing, user=user,
                           x_login=bridge_linking.x_login_available())


@bp.post("/<token>")
@join_limit
def accept(token: str):
    user = viewer()
    if user is None:
        return redirect(url_for("auth.sign_in", next=url_for("bridge_join.land", token=token)))
    bridge_linking.accept_invite(user, token, consent=request.form.get("consent") == "y")
    if request.form.get("action") == "verify" and bridge_linking.x_login_available():
        return redirect(url_for("bridge_join.x_login", token=token))
    return redirect(_composer_url(token))


@bp.get("/<token>/x")
@join_limit
def x_login(token: str):
    """A page with the link to X's authorize page. A link, not a redirect from the claim form: the CSP's
    form-action 'self' would (rightly) stop a form submission from being redirected to another site.
    Only this browser's session changes (the pending PKCE verifier and state)."""
    start = bridge_linking.start_x_login(viewer(), token)
    session[X_LOGIN_SESSION_KEY] = {"token": token, "state": start.state, "verifier": start.verifier}
    return render_template("bridge/join_x.html", token=token, authorize_url=start.url)


@bp.get("/x/callback")
@join_limit
def x_callback():
    # The OAuth state, bound to this browser's session, is what makes this GET safe to act on.
    pending = session.pop(X_LOGIN_SESSION_KEY, None)
    if not pending or request.args.get("state") != pending.get("state"):
        bridge_invites.count_rejection("x_state", "Log in with X callback without a matching state")
        return render_template("bridge/join_x_failed.html",
                               message="This sign-in with X was not started here, or it was already used. "
                                       "Open your invite link and try again."), 400
    token = pending["token"]
    if request.args.get("error") or not request.args.get("code"):
        return render_template("bridge/join_x_failed.html", token=token,
                               message="X did not confirm your account (the sign-in was cancelled)."), 400
    try:
        bridge_linking.finish_x_login(viewer(), token, request.args["code"], pending["verifier"])
    except ValidationFailed as error:
        return render_template("bridge/join_x_failed.html", token=token, message=error.message), 502
    except InviteRefused as refused:
        # Another X account signed in: say so, and let them go on with the unconfirmed link.
        return render_template("bridge/join_x_failed.html", token=token, message=refused.message), refused.status_code
    return redirect(_composer_url(token))


@bp.route("/<token>/thread", methods=["GET", "POST"])
@join_limit
@posting_limit
def thread(token: str):
    user = viewer()
    if user is None:
        return redirect(url_for("auth.sign_in", next=request.path))
    if request.method == "GET":
        invite = bridge_linking.claimed_invite(user, token)
        if invite.case.linked_thread_id is not None:
            return redirect(url_for("forum.thread", thread_id=invite.case.linked_thread_id))
        form = ThreadForm(formdata=None, data=bridge_linking.composer_prefill(user, token))
        return _composer(token, form)
    form = ThreadForm()
    if is_preview():
        return _composer(token, form, preview=posts.preview_html(user, form.body.data))
    try:
        created = bridge_linking.post_thread(user, token, int_or_none(form.category.data), form.title.data,
                                             form.body.data, is_private=bool(form.private.data))
    except ValidationFailed as error:
        return _composer(token, form, errors=error.fields, message=error.message, status=422)
    return redirect(thread_url(created))


def _composer(token: str, form, errors=None, preview=None, message=None, status=200):
    user = viewer()
    invite = bridge_linking.claimed_invite(user, token)
    if not policies.can_post(user):
        # Typically a brand-new account whose email is not confirmed yet: say so, and how to come back.
        return render_template("bridge/join_confirm.html", token=token, reason=threads.posting_refusal(user),
                               user=user), 403 if request.method == "POST" else 200
    choices = forum.postable_categories(user)
    if not choices:
        raise ServiceError("There is no category you can post in yet.")
    return render_template(
        "forum/composer.html", form=form, category=None, choices=choices, errors=errors or {}, preview=preview,
        policies=policies, composer_action=_composer_url(token), composer_note="bridge/join_composer_note.html",
        bridge_link=bridge_linking.link_for(user, invite.case), bridge_message=message,
        x_login=bridge_linking.x_login_available(), token=token,
    ), status
