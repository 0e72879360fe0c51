"""Triage services: two staff members acting on one case at the same moment (PostgreSQL, two real
connections), CSRF on the triage forms, and the demo seed's bridge cases."""
from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from community.errors import Conflict
from community.extensions import db
from community.models import AuditEntry, BridgeCase, BridgePost, CaseStatus, User, utcnow
from community.bridge import ingest as bridge_ingest
from community.bridge import triage as bridge_triage


def _case() -> BridgeCase:
    post = bridge_ingest.Incoming(post_id="1", author_id="7", text="@acmehelp it is down", posted_at=utcnow(),
                                  mentions_brand=True)
    bridge_ingest.store_posts([post], "mentions", bridge_ingest.Brand("999", "acmehelp"))
    return db.session.scalar(select(BridgeCase))


@pytest.mark.backends("postgres")
def test_simultaneous_actions_on_one_case_leave_one_winner(app, make_user):
    case = _case()
    staff_ids = [make_user(role="staff").id, make_user(role="moderator").id]
    barrier = threading.Barrier(2, timeout=10)
    outcomes: dict[str, str] = {}

    def act(staff_id: int, action: str) -> None:
        with app.app_context():
            staff = db.session.get(User, staff_id)
            barrier.wait()
            try:
                bridge_triage.act(staff, case.id, action, seen_version=1)
                outcomes[action] = "done"
            except Conflict as error:
                outcomes[action] = error.message
            finally:
                db.session.remove()

    workers = [threading.Thread(target=act, args=args) for args in zip(staff_ids, ("ignore", "spam"))]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=30)

    winner = next(action for action, outcome in outcomes.items() if outcome == "done")
    loser_message = next(outcome for outcome in outcomes.values() if outcome != "done")
    db.session.expire_all()
    stored = db.session.get(BridgeCase, case.id)
    assert stored.status == bridge_triage.ACTIONS[winner] and stored.version == 2
    assert f"it is now {bridge_triage.STATUS_WORDS[stored.status]}" in loser_message
    actions = list(db.session.scalars(select(AuditEntry.action).where(AuditEntry.target_type == "bridge_case")))
    assert actions == [f"bridge.case_{winner}"]


@pytest.mark.backends("sqlite")
def test_triage_forms_need_the_csrf_token(app, client, auth, make_user):
    app.config["WTF_CSRF_ENABLED"] = True
    auth.sign_in(make_user(role="admin"))
    case = _case()
    for path, data in ((f"/staff/bridge/cases/{case.id}/act", {"action": "ignore", "version": "1"}),
                       (f"/staff/bridge/cases/{case.id}/label", {"label": "question", "version": "1"}),
                       ("/staff/bridge/status/keywords", {"keywords": "acme"}),
                       ("/staff/bridge/canned", {"title": "t", "body": "b"})):
        assert client.post(path, data=data).status_code == 400
    db.session.refresh(case)
    assert case.status == CaseStatus.new
    page = client.get("/staff/bridge").get_data(as_text=True)
    assert page.count('name="csrf_token"') >= 3


@pytest.mark.backends("sqlite")
def test_demo_seed_fills_the_bridge_inbox(app):
    result = app.test_cli_runner().invoke(args=["community", "seed-demo"])
    assert result.exit_code == 0, result.output
    cases = list(db.session.scalars(select(BridgeCase)))
    assert len(cases) == 4  # Dana's two posts are one conversation
    assert {case.summoned for case in cases} == {True, False}
    dana = next(case for case in cases if case.author_username == "dana_builds")
    assert len(dana.posts) == 2 and dana.label == "complaint"
    assert db.session.scalar(select(func.count(BridgePost.id)).where(BridgePost.source == "demo")) == 5
