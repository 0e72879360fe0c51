"""CSAT: solving a thread asks the asker once (in-app and email); one answer per thread."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from community.extensions import db
from community.models import CsatSurvey, Notification, Role
from community.services import answers
from community.metrics import csat
from tests.mailbox import outbox, text_body

LINK_PATH = "/csat/r/"


@pytest.fixture
def solved(app, make_user, make_thread, make_post):
    asker = make_user(display_name="Asker")
    thread = make_thread(author=asker, title="Printer on fire")
    reply = make_post(thread=thread, author=make_user(role=Role.staff))
    answers.accept_answer(asker, thread.id, reply.id)
    return asker, thread


def _links(app) -> list[str]:
    mail = [m for m in outbox(app) if m["Subject"].startswith("How did we do?")]
    assert len(mail) == 1
    return [line.split("http://127.0.0.1:5000", 1)[1] for line in text_body(mail[0]).splitlines()
            if LINK_PATH in line]


def test_solving_asks_once_in_app_and_by_email(app, solved):
    asker, thread = solved
    assert csat.offer(thread.id) is False  # a second offer (job run twice, solved again) asks nothing
    assert db.session.scalar(select(func.count()).select_from(CsatSurvey)) == 1
    note = db.session.scalar(select(Notification).where(Notification.user_id == asker.id, Notification.kind == "csat"))
    assert note is not None and note.thread_id == thread.id
    assert len(_links(app)) == 5


def test_in_app_answer_is_a_post_and_only_one_counts(client, auth, solved, make_user):
    asker, thread = solved
    auth.sign_in(make_user())
    assert client.get(f"/csat/{thread.id}").status_code == 404  # somebody else's question
    auth.sign_in(asker)
    page = client.get(f"/csat/{thread.id}")
    assert page.status_code == 200 and "How happy are you" in page.get_data(as_text=True)
    bad = client.post(f"/csat/{thread.id}", data={"score": "9", "comment": "kept text"})
    assert bad.status_code == 422 and "kept text" in bad.get_data(as_text=True)
    assert client.post(f"/csat/{thread.id}", data={"score": "5", "comment": "Great"}).status_code == 200
    assert client.post(f"/csat/{thread.id}", data={"score": "1"}).status_code == 409
    survey = db.session.scalar(select(CsatSurvey))
    db.session.refresh(survey)
    assert (survey.score, survey.comment) == (5, "Great")


def test_email_link_opens_a_confirm_page_and_the_post_records(client, app, solved):
    _asker, thread = solved
    four = _links(app)[3]
    page = client.get(four)
    assert page.status_code == 200 and 'value="4" checked' in page.get_data(as_text=True)
    survey = db.session.scalar(select(CsatSurvey))
    assert survey.answered_at is None  # following a link records nothing
    assert client.post(four, data={"score": "4"}).status_code == 200
    db.session.refresh(survey)
    assert survey.score == 4
    assert client.post(four, data={"score": "2"}).status_code == 409
    assert client.get(LINK_PATH + "not-a-token").status_code == 400


def test_staff_askers_and_disabled_setting_get_no_question(app, make_user, make_thread, make_post):
    app.config["CSAT_ENABLED"] = False
    asker = make_user()
    thread = make_thread(author=asker)
    reply = make_post(thread=thread, author=make_user(role=Role.staff))
    answers.accept_answer(asker, thread.id, reply.id)
    assert db.session.scalar(select(func.count()).select_from(CsatSurvey)) == 0
