"""Admin-edited settings of the X bridge: the brand keywords of the recent-search query (SiteSetting
"bridge") and the canned-response templates staff pick when triaging. Every change is audited."""
from __future__ import annotations

from functools import partial

import re
from typing import Optional

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from .. import policies
from ..errors import NotFound, ValidationFailed
from ..extensions import db
from ..models import BridgeCannedResponse, SiteSetting, User
from ..services import audit

SETTING_KEY = "bridge"
MAX_KEYWORDS = 20
KEYWORD_MAX_LENGTH = 60
# X's recent search caps a query at 512 characters; keep room for the operators we add.
QUERY_MAX_LENGTH = 480
_KEYWORD = re.compile(r"^[\w@#$&.' -]+$")
TITLE_MAX_LENGTH = 80
BODY_MAX_LENGTH = 1000


_require_admin = partial(policies.ensure, policies.can_admin_bridge, message="Only admins can change the X bridge settings.")


def _stored() -> dict:
    row = db.session.get(SiteSetting, SETTING_KEY)
    return dict(row.value) if row is not None and isinstance(row.value, dict) else {}


def keywords() -> list[str]:
    return [str(word) for word in _stored().get("keywords", [])]


def search_query() -> str | None:
    """The recent-search query for the keywords, or None when there are none (search is then skipped)."""
    words = keywords()
    if not words:
        return None
    terms = " OR ".join(f'"{word}"' if " " in word else word for word in words)
    return f"({terms}) -is:retweet"


def parse_keywords(raw: str) -> list[str]:
    """One keyword or phrase a line (commas also separate); duplicates dropped, order kept."""
    words: list[str] = []
    for part in re.split(r"[\n,]", raw or ""):
        word = " ".join(part.split())
        if word and word.lower() not in {w.lower() for w in words}:
            words.append(word)
    return words


def _check_keywords(words: list[str]) -> None:
    problems = [w for w in words if len(w) > KEYWORD_MAX_LENGTH or not _KEYWORD.match(w)]
    if problems:
        raise ValidationFailed("Some keywords cannot be searched.", fields={
            "keywords": f"Use letters, digits, spaces, @, # and $ only, at most {KEYWORD_MAX_LENGTH} characters: "
                        + ", ".join(problems[:3])})
    if len(words) > MAX_KEYWORDS:
        raise ValidationFailed("Too many keywords.", fields={"keywords": f"At most {MAX_KEYWORDS} keywords."})


def save_keywords(user: Optional[User], raw: str) -> list[str]:
    _require_admin(user)
    words = parse_keywords(raw)
    _check_keywords(words)
    query_length = len(" OR ".join(words)) + len("() -is:retweet")
    if query_length > QUERY_MAX_LENGTH:
        raise ValidationFailed("The search query would be too long.", fields={
            "keywords": f"All keywords together must stay under {QUERY_MAX_LENGTH} characters."})
    before = keywords()
    value = _stored()
    value["keywords"] = words
    row = db.session.get(SiteSetting, SETTING_KEY)
    if row is None:
        db.session.add(SiteSetting(key=SETTING_KEY, value=value))
    else:
        row.value = value
    audit.record(user, "bridge.keywords", "site_setting", None, before=before, after=words)
    db.session.commit()
    return words


# --- canned responses --------------------------------------------------------------------------


def canned_responses() -> list[BridgeCannedResponse]:
    return list(db.session.scalars(select(BridgeCannedResponse).order_by(BridgeCannedResponse.title)))


def get_canned(canned_id: int) -> BridgeCannedResponse:
    canned = db.session.get(BridgeCannedResponse, canned_id)
    if canned is None:
        raise NotFound("There is no such canned response.")
    return canned


def _clean_canned(title: str, body: str) -> tuple[str, str]:
    title, body = " ".join((title or "").split()), (body or "").strip()
    fields = {}
    if not title:
        fields["title"] = "Give the template a title."
    elif len(title) > TITLE_MAX_LENGTH:
        fields["title"] = f"At most {TITLE_MAX_LENGTH} characters."
    if not body:
        fields["body"] = "Write the response text."
    elif len(body) > BODY_MAX_LENGTH:
        fields["body"] = f"At most {BODY_MAX_LENGTH} characters."
    if fields:
        raise ValidationFailed("Check the canned response.", fields=fields)
    return title, body


def _flush_unique_title() -> None:
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise ValidationFailed("That title is taken.", fields={"title": "Another template has this title."}) from None


def save_canned(user: Optional[User], canned_id: int | None, title: str, body: str) -> BridgeCannedResponse:
    """Create (canned_id None) or update a canned response."""
    _require_admin(user)
    title, body = _clean_canned(title, body)
    if canned_id is None:
        canned = BridgeCannedResponse(title=title, body=body)
        db.session.add(canned)
        _flush_unique_title()
        audit.record(user, "bridge.canned_create", "bridge_canned_response", canned.id, after={"title": title})
    else:
        canned = get_canned(canned_id)
        before = {"title": canned.title, "body": canned.body}
        canned.title, canned.body = title, body
        _flush_unique_title()
        audit.record(user, "bridge.canned_update", "bridge_canned_response", canned.id,
                     before=before, after={"title": title, "body": body})
    db.session.commit()
    return canned


def delete_canned(user: Optional[User], canned_id: int) -> None:
    _require_admin(user)
    canned = get_canned(canned_id)
    audit.record(user, "bridge.canned_delete", "bridge_canned_response", canned.id,
                 before={"title": canned.title, "body": canned.body})
    db.session.delete(canned)
    db.session.commit()
