"""The forum's forms and what their views share: field holders, the posting limit, form decoding.

The forms hold fields only; the services own the rules. Used by the forum, answer and X-invite
(bridge/join_views.py) composers.
"""
from __future__ import annotations

import re
from urllib.parse import parse_qsl

from flask import current_app, request
from flask_wtf import FlaskForm
from werkzeug.datastructures import ImmutableMultiDict
from wtforms import BooleanField, HiddenField, StringField, TextAreaField

from ..extensions import limiter
from ..services.threads import REPLACEMENT_CHAR
from .helpers import viewer

# The blueprint whose urlencoded forms are decoded the same way whatever their bytes.
DECODED_BLUEPRINT = "forum"


class ThreadForm(FlaskForm):
    category = StringField("Category")
    title = StringField("Title")
    body = TextAreaField("Your question or topic")
    private = BooleanField("Private: only you and staff can see this thread")
    tags = StringField("Tags (optional)")


class ReplyForm(FlaskForm):
    body = TextAreaField("Your reply")
    reply_to = HiddenField()


class EditForm(FlaskForm):
    title = StringField("Title")
    body = TextAreaField("Post")
    reason = StringField("Reason for the edit (optional)")
    tags = StringField("Tags (optional)")


# --- rate limit on new threads and replies ----------------------------------------------------


def _posting_limit() -> str:
    return current_app.config["RATELIMIT_POSTING"]


def _poster_key() -> str:
    user = viewer()
    return f"poster:{user.id}" if user else f"anonymous:{request.remote_addr}"


def is_preview() -> bool:
    """The composer's Preview button: render the post, store nothing (and count no posting)."""
    return "preview" in request.form


posting_limit = limiter.shared_limit(
    _posting_limit, scope="posting", key_func=_poster_key, methods=["POST"], exempt_when=is_preview
)


def int_or_none(raw: object) -> int | None:
    text = str(raw or "").strip()
    return int(text) if text.isdigit() and len(text) < 12 else None


def decode_invalid_utf8_consistently():
    """before_request (create_app adds it ahead of CSRFProtect, which would consume the body).

    Werkzeug drops a urlencoded form holding raw invalid UTF-8 and keeps '%FF' as literal text.
    Decode both the same way instead (invalid bytes become U+FFFD), so the services can refuse
    them with a clear message and the form can show back everything else the user typed."""
    if request.method != "POST" or request.mimetype != "application/x-www-form-urlencoded":
        return
    if request.blueprint != DECODED_BLUEPRINT:
        return
    raw = request.get_data(cache=True, parse_form_data=False)
    escaped = re.sub(rb"[\x80-\xff]", lambda byte: b"%%%02X" % byte[0][0], raw).decode("ascii")
    pairs = parse_qsl(escaped, keep_blank_values=True, encoding="utf-8", errors="replace")
    if any(REPLACEMENT_CHAR in key + value for key, value in pairs):
        current = request._get_current_object()
        current.form, current.files = ImmutableMultiDict(pairs), ImmutableMultiDict()
