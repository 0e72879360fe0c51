"""SLA clocks: breaches recorded and announced once, inbox countdowns, and the admin targets page."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from community.extensions import db
from community.models import AuditEntry, Role, SlaBreach, SlaTarget, utcnow
from community.metrics import sla
from tests.mailbox import outbox, text_body


@pytest.fixture
def emitted(monkeypatch):
    from community.webhooks import delivery as webhooks

    events = []
    monkeypatch.setattr(webhooks, "emit", lambda kind, data, key=None: events.append((kind, data, key)))
    return events


@pytest.fixture
def clocks(app, make_user, make_category, make_thread, make_post):
    category = make_category(name="Billing")
    db.session.add(SlaTarget(category_id=category.id, first_response_minutes=60, resolution_minutes=120))
    staff = make_user(role=Role.staff)
    now = utcnow()
    late = make_thread(category=category, title="Nobody answered me", created_at=now - timedelta(minutes=90))
    soon = make_thread(category=category, title="Answer me soon", created_at=now - timedelta(minutes=30))
    unresolved = make_thread(category=category, title="Answered, not solved", created_at=now - timedelta(hours=3))
    make_post(thread=unresolved, author=staff, created_at=now - timedelta(hours=2, minutes=30))
    unresolved.first_reply_at = unresolved.first_staff_reply_at = now - timedelta(hours=2, minutes=30)
    db.session.commit()
    return {"late": late, "soon": soon, "unresolved": unresolved, "staff": staff, "category": category}


def test_each_breach_is_recorded_and_announced_once(app, clocks, emitted):
    app.config["SLA_ALERT_EMAIL"] = "support-lead@example.com"
    assert sla.check_breaches() == 2
    assert sla.check_breaches() == 0
    rows = {(b.thread_id, b.kind) for b in db.session.scalars(select(SlaBreach))}
    assert rows == {(clocks["late"].id, "first_response"), (clocks["unresolved"].id, "resolution")}
    mails = outbox(app)
    assert len(mails) == 2 and {m["To"] for m in mails} == {"support-lead@example.com"}
    assert any("Nobody answered me" in m["Subject"] and "first response" in text_body(m) for m in mails)
    assert sorted(key for _kind, _data, key in emitted) == sorted(
        [f"sla:{clocks['late'].id}:first_response", f"sla:{clocks['unresolved'].id}:resolution"])
    assert {kind for kind, _data, _key in emitted} == {"sla.breached"}
    breach_id = db.session.scalar(select(SlaBreach.id).where(SlaBreach.kind == "resolution"))
    sla.announce_breach(breach_id)  # the job running twice sends no second email
    assert len(outbox(app)) == 2


def test_a_late_first_reply_still_counts_and_no_target_means_no_clock(app, clocks, make_category, make_thread, emitted):
    late = clocks["soon"]
    late.first_staff_reply_at = late.created_at + timedelta(minutes=61)
    free = make_thread(category=make_category(), created_at=utcnow() - timedelta(days=2))
    db.session.commit()
    sla.check_breaches(now=utcnow() + timedelta(minutes=40))
    kinds = {(b.thread_id, b.kind) for b in db.session.scalars(select(SlaBreach))}
    assert (late.id, "first_response") in kinds and not any(t == free.id for t, _ in kinds)
    assert db.session.scalar(select(func.count()).select_from(SlaBreach)) == len(kinds)


def test_inbox_shows_countdowns_for_threads_close_to_breach(client, auth, clocks):
    auth.sign_in(clocks["staff"])
    page = client.get("/staff/inbox").get_data(as_text=True)
    at_risk = page.split('id="sla-heading"')[1].split("</section>")[0]
    assert "Answer me soon" in at_risk and "Nobody answered me" in at_risk
    assert "min left" in at_risk and "breached" in at_risk
    assert 'data-sla-due="' in at_risk and "<script>" not in page


def test_only_admins_edit_targets_and_bad_input_keeps_what_was_typed(client, auth, make_user, clocks):
    category = clocks["category"]
    auth.sign_in(clocks["staff"])
    assert client.get("/staff/dashboard/sla").status_code == 403
    assert client.post("/staff/dashboard/sla", data={f"first_{category.id}": "5"}).status_code == 403
    auth.sign_in(make_user(role=Role.admin))
    bad = client.post("/staff/dashboard/sla", data={f"first_{category.id}": "soon", "alert_email": "lead@"})
    assert bad.status_code == 422
    text = bad.get_data(as_text=True)
    assert 'value="soon"' in text and 'value="lead@"' in text and "Whole minutes" in text
    ok = client.post("/staff/dashboard/sla", data={f"first_{category.id}": "15", f"resolution_{category.id}": "",
                                                   "alert_email": "lead@example.com"})
    assert ok.status_code == 302
    target = db.session.get(SlaTarget, category.id)
    db.session.refresh(target)
    assert (target.first_response_minutes, target.resolution_minutes) == (15, None)
    assert sla.alert_email() == "lead@example.com"
    entry = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert entry.action == "settings.sla" and entry.after["alert_email"] == "lead@example.com"
