"""CSAT: one satisfaction question for the asker when a thread is solved.

`offer(thread_id)` is a job queued when a thread becomes solved. It creates the survey row (unique
per thread, so a second run or a second solve asks nothing), an in-app notification, and an email
with one signed link per score. A link only opens a confirm page; the answer is recorded by a
POST (CSRF-protected), so mail scanners that follow links record nothing. A survey takes one
answer: the conditional UPDATE lets exactly one of two racing answers through.
"""
from __future__ import annotations

from datetime import timedelta
from typing import Optional

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from ..errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from ..extensions import db
from ..jobs.registry import job
from ..models import CsatSurvey, Notification, Thread, User, utcnow
from ..services.mail import absolute_url, send_email
from ..services.tokens import make_token, read_token

PURPOSE = "csat"
SCORES = {1: "Very unhappy", 2: "Unhappy", 3: "Neutral", 4: "Happy", 5: "Very happy"}
COMMENT_MAX = 1000


@job("metrics.csat.offer")
def offer(thread_id: int) -> bool:
    """Job: ask the asker of a solved thread, once. Returns whether a survey was created."""
    if not current_app.config.get("CSAT_ENABLED", True):
        return False
    thread = db.session.get(Thread, thread_id)
    if thread is None or thread.deleted_at is not None or thread.solved_at is None:
        return False
    asker = thread.author
    if not asker.is_active or asker.is_staff:
        return False
    db.session.add(CsatSurvey(thread_id=thread.id, user_id=asker.id))
    db.session.add(Notification(user_id=asker.id, kind="csat", event_key=f"csat:{thread.id}", thread_id=thread.id))
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return False
    if asker.email_verified:
        links = [(score, label, absolute_url("csat.from_email", token=make_token(PURPOSE, asker.id, thread=thread.id,
                                                                                  score=score)))
                 for score, label in SCORES.items()]
        send_email(asker.email, f"How did we do? {thread.title}", "csat_request", user=asker, thread=thread, links=links)
    return True


@job("metrics.csat.offer_recent")
def offer_recent(days: int = 2) -> int:
    """Job (run-scheduled): ask for threads solved lately that have no survey yet, in case the job
    queued at solve time was lost. Older solved threads (imports) are never surveyed."""
    asked = select(CsatSurvey.thread_id)
    due = db.session.scalars(select(Thread.id).where(
        Thread.solved_at >= utcnow() - timedelta(days=days), Thread.deleted_at.is_(None), Thread.id.not_in(asked)))
    return sum(1 for thread_id in list(due) if offer(thread_id))


def survey_for(user: Optional[User], thread_id: int) -> CsatSurvey:
    """The survey the signed-in asker may answer (404 for anyone else: no hint it exists)."""
    survey = db.session.query(CsatSurvey).filter_by(thread_id=thread_id).one_or_none()
    if survey is None or user is None or survey.user_id != user.id:
        raise NotFound("There is no satisfaction question for you here.")
    return survey


def read_link(token: str) -> tuple[CsatSurvey, int]:
    """The survey and the score an email link stands for; TokenInvalid for a bad or old link."""
    payload = read_token(PURPOSE, token, int(current_app.config["CSAT_LINK_MAX_AGE"]))
    survey = db.session.query(CsatSurvey).filter_by(thread_id=payload.get("thread")).one_or_none()
    if survey is None or survey.user_id != payload["uid"]:
        raise NotFound("There is no satisfaction question for this link.")
    return survey, _score(payload.get("score"))


def respond(user: Optional[User], thread_id: int, raw_score, comment: str = "", *, token: str | None = None) -> CsatSurvey:
    """Record the one answer: by the signed-in asker, or through a signed email link."""
    if token is not None:
        survey, _linked = read_link(token)
    else:
        if user is None:
            raise PermissionDenied("Sign in to answer.")
        survey = survey_for(user, thread_id)
    if survey.thread_id != thread_id:
        raise NotFound("There is no satisfaction question for this link.")
    score, comment = _score(raw_score), (comment or "").strip()
    if len(comment) > COMMENT_MAX:
        raise ValidationFailed("That comment is too long.", fields={"comment": f"At most {COMMENT_MAX} characters."})
    answered = db.session.execute(
        update(CsatSurvey).where(CsatSurvey.id == survey.id, CsatSurvey.answered_at.is_(None))
        .values(score=score, comment=comment, answered_at=utcnow())
    ).rowcount
    db.session.commit()
    if answered != 1:
        raise Conflict("You already answered this question. Thank you!")
    db.session.refresh(survey)
    return survey


def _score(raw) -> int:
    text = str(raw if raw is not None else "").strip()
    if not text.isdigit() or int(text) not in SCORES:
        raise ValidationFailed("Choose how happy you are, from 1 to 5.", fields={"score": "Choose 1 to 5."})
    return int(text)
