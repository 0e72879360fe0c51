"""The profile page and the user card's JSON (static/js/user_card.js)."""
from __future__ import annotations

from flask import Blueprint, abort, jsonify, render_template

from .. import policies
from ..extensions import limiter
from ..services.avatars import initials
from ..web.fragments import avatar_url
from ..web.helpers import post_url, profile_url, viewer
from . import service

bp = Blueprint("people", __name__)
NO_MEMBER = "There is no member with that username."


@bp.route("/u/<username>")
def profile(username: str):
    member = service.member(username)
    if member is None:
        abort(404, description=NO_MEMBER)
    reader = viewer()
    return render_template(
        "people/profile.html", user=member, stats=service.stats(reader, member),
        answers=service.answers(reader, member), activity=service.recent_activity(reader, member),
        history=service.moderation_history(reader, member), role_label=service.role_label(member),
        policies=policies,
    )


@bp.route("/u/<username>/card")
@limiter.limit("120 per minute")
def card(username: str):
    """What the hover or tap card shows; the same read rules as the profile page."""
    member = service.member(username)
    if member is None:
        return jsonify(error={"status": 404, "code": "not_found", "message": NO_MEMBER}), 404
    reader = viewer()
    stats = service.stats(reader, member)
    response = jsonify(
        name=member.display_name, username=member.username, role=service.role_label(member),
        staff=member.is_staff, verified_customer=member.is_verified_customer,
        joined=member.created_at.strftime("%B %Y"), profile_url=profile_url(member),
        avatar_url=avatar_url(member) if member.avatar_path else None, initials=initials(member.display_name),
        colour=member.id % 8, answers={"accepted": stats.accepted, "verified": stats.verified},
        activity=[
            {"title": item.post.thread.title, "url": post_url(item.post), "when": item.post.created_at.isoformat(timespec="seconds")}
            for item in service.recent_activity(reader, member, service.CARD_ACTIVITY)
        ],
    )
    # What a card shows depends on who asks (private threads): never a shared cache.
    response.headers["Cache-Control"] = "private, max-age=60"
    response.headers["Vary"] = "Cookie"
    return response
