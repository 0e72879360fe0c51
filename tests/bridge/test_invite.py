"""Invite and reply-without-invite from the triage inbox, against the fake X: the post that goes out,
the rules (summoned only, one per conversation, one invite per author per 7 days, budgets, opt-outs)
and what the case records."""
from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from community.bridge.post_length import weighted_length
from community.errors import Conflict, ValidationFailed
from community.extensions import db
from community.models import AuditEntry, BridgeCannedResponse, BridgeOutbound, CaseStatus, utcnow
from community.models.bridge import OutboundKind, OutboundState
from community.bridge import ingest as bridge_ingest
from community.bridge import respond as bridge_invite
from community.bridge import outbox as bridge_outbox

from .conftest import CUSTOMER_ID
from .outbox_world import BASE_URL, brand_posts, case_of, customer, mention, outbound_rows, posting  # noqa: F401


@pytest.fixture
def staff(make_user):
    return make_user(role="staff")


def _canned(body: str = "Thanks for telling us. We're on it and will get back to you here.") -> BridgeCannedResponse:
    canned = BridgeCannedResponse(title="On it", body=body)
    db.session.add(canned)
    db.session.commit()
    return canned


def test_invite_posts_one_reply_with_the_case_link_and_records_the_case(app, posting, staff):
    case = mention(posting)
    target = case.posts[-1].post_id
    bridge_invite.invite(staff, case.id, case.version)

    [reply] = brand_posts(posting)
    assert reply.replied_to_id == target and reply.text.startswith("@jo ")
    link = next(word for word in reply.text.split() if word.startswith(f"{BASE_URL}/join/"))
    assert weighted_length(reply.text) <= 280
    [row] = outbound_rows()
    assert (row.kind, row.state, row.remote_post_id, row.attempts) == (OutboundKind.invite, OutboundState.sent, reply.id, 1)
    # The link's token is not kept in clear once the post is out; its hash still identifies it.
    assert link not in row.text and "[invite link]" in row.text
    assert row.link_hash == hashlib.sha256(link.encode()).hexdigest()
    db.session.refresh(case)
    assert case.status == CaseStatus.invited and case.invited_at is not None and case.version == 2
    assert case.first_response_at is not None
    assert case.first_response_seconds >= case.first_response_ingest_seconds >= 0
    audit = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "bridge.case_invite"))
    assert audit.actor_id == staff.id and audit.target_id == case.id


def test_a_post_that_did_not_summon_us_is_refused(app, posting, staff):
    text = "acme's app lost my invoice again, terrible"  # names the brand without tagging it
    post = posting.fake.state.add_post(CUSTOMER_ID, text)
    bridge_ingest.store_posts([bridge_ingest.Incoming(post_id=post.id, author_id=CUSTOMER_ID, author_username="jo",
                                                      text=text, posted_at=utcnow())], "search",
                              bridge_ingest.brand_from_config(app.config))
    case = case_of(post.id)
    assert not case.summoned
    with pytest.raises(ValidationFailed, match="did not mention or quote us"):
        bridge_invite.invite(staff, case.id, case.version)
    assert outbound_rows() == [] and brand_posts(posting) == []
    db.session.refresh(case)
    assert case.status == CaseStatus.new and case.version == 1


def test_one_automated_reply_per_conversation(app, posting, staff):
    first = mention(posting)
    other = customer(posting, "kim")
    second = mention(posting, "@acmehelp same here, my invoice vanished", other, in_reply_to_tweet_id=first.posts[0].post_id)
    assert second.conversation_id == first.conversation_id and second.id != first.id
    bridge_invite.invite(staff, first.id, first.version)
    with pytest.raises(ValidationFailed, match="one automated reply per conversation"):
        bridge_invite.invite(staff, second.id, second.version)
    with pytest.raises(ValidationFailed, match="one automated reply per conversation"):
        bridge_invite.reply(staff, second.id, second.version, _canned().id)
    assert len(brand_posts(posting)) == 1


def test_one_invite_per_author_per_seven_days(app, posting, staff):
    first = mention(posting)
    second = mention(posting, "@acmehelp and now the export is broken too, awful")
    assert first.conversation_id != second.conversation_id
    bridge_invite.invite(staff, first.id, first.version)
    with pytest.raises(ValidationFailed, match="one invite per author every 7 days"):
        bridge_invite.invite(staff, second.id, second.version)
    db.session.execute(update(BridgeOutbound).values(created_at=utcnow() - timedelta(days=7, minutes=1)))
    db.session.commit()
    bridge_invite.invite(staff, second.id, second.version)
    assert len(brand_posts(posting)) == 2


def test_the_fifteen_minute_budget_stops_the_next_invite(app, posting, staff):
    app.config["BRIDGE_OUTBOUND_PER_15MIN"] = 1
    first = mention(posting)
    second = mention(posting, "@acmehelp checkout is broken for me as well, terrible", customer(posting, "kim"))
    bridge_invite.invite(staff, first.id, first.version)
    with pytest.raises(bridge_invite.BudgetSpent, match="per 15 minutes") as refused:
        bridge_invite.invite(staff, second.id, second.version)
    assert refused.value.status_code == 429
    budget = bridge_invite.budget()
    assert (budget.used_window, budget.limit_window, budget.spent) == (1, 1, True)


def test_the_daily_budget_counts_the_last_24_hours(app, posting, staff):
    app.config.update(BRIDGE_OUTBOUND_PER_15MIN=5, BRIDGE_OUTBOUND_PER_DAY=1)
    first = mention(posting)
    second = mention(posting, "@acmehelp checkout is broken for me as well, terrible", customer(posting, "kim"))
    bridge_invite.invite(staff, first.id, first.version)
    db.session.execute(update(BridgeOutbound).values(created_at=utcnow() - timedelta(hours=23)))
    db.session.commit()
    with pytest.raises(bridge_invite.BudgetSpent, match="per day"):
        bridge_invite.invite(staff, second.id, second.version)
    db.session.execute(update(BridgeOutbound).values(created_at=utcnow() - timedelta(hours=25)))
    db.session.commit()
    bridge_invite.invite(staff, second.id, second.version)


def test_a_stop_reply_opts_the_author_out_at_once(app, posting, staff):
    case = mention(posting)
    posting.fake.state.add_post(CUSTOMER_ID, "@acmehelp STOP", in_reply_to_tweet_id=case.posts[0].post_id)
    bridge_ingest.poll_once()
    db.session.refresh(case)
    assert case.status == CaseStatus.opted_out
    with pytest.raises(ValidationFailed, match="opted out"):
        bridge_invite.invite(staff, case.id, case.version)
    assert brand_posts(posting) == []


def test_an_opt_out_between_queueing_and_sending_wins(app, posting, staff, monkeypatch):
    case = mention(posting)
    held = []
    monkeypatch.setattr(bridge_outbox, "start", held.append)  # queued, not sent yet
    bridge_invite.invite(staff, case.id, case.version)
    monkeypatch.undo()
    bridge_ingest.opt_out_author(CUSTOMER_ID, "jo", reason="staff")
    db.session.commit()
    assert bridge_outbox.send(held[0]) == OutboundState.failed
    [row] = outbound_rows()
    assert "opted out" in row.last_error and "/join/" not in row.text
    assert brand_posts(posting) == []


def test_a_stale_version_is_a_conflict(app, posting, staff):
    case = mention(posting)
    bridge_invite.invite(staff, case.id, case.version)
    with pytest.raises(Conflict, match="it is now invited"):
        bridge_invite.invite(staff, case.id, 1)
    assert len(brand_posts(posting)) == 1


def test_reply_without_invite_sends_the_canned_response_naming_the_customer(app, posting, staff):
    case = mention(posting)
    canned = _canned()
    bridge_invite.reply(staff, case.id, case.version, canned.id)
    [reply] = brand_posts(posting)
    assert reply.text == "@jo " + canned.body and reply.replied_to_id == case.posts[-1].post_id
    [row] = outbound_rows()
    assert row.kind == OutboundKind.reply and row.text == reply.text and row.link_hash is None
    db.session.refresh(case)
    assert case.status == CaseStatus.replied and case.invited_at is None and case.first_response_at is not None
    with pytest.raises(ValidationFailed, match="already handled"):
        bridge_invite.invite(staff, case.id, case.version)


def test_reply_needs_a_canned_response_that_fits(app, posting, staff):
    case = mention(posting)
    with pytest.raises(ValidationFailed, match="Pick a canned response"):
        bridge_invite.reply(staff, case.id, case.version)
    with pytest.raises(ValidationFailed, match="limit is 280"):
        bridge_invite.reply(staff, case.id, case.version, _canned("word " * 80).id)
    assert outbound_rows() == []


def test_auto_invite_after_ingest_only_for_strong_summoned_complaints(app, posting):
    app.config.update(BRIDGE_AUTO_INVITE=True, BRIDGE_AUTO_INVITE_MIN_COMPLAINT=50)
    calm = mention(posting, "@acmehelp thanks, the new dashboard is lovely", customer(posting, "kim"))
    angry = mention(posting)
    db.session.refresh(angry)
    db.session.refresh(calm)
    assert angry.status == CaseStatus.invited and calm.status == CaseStatus.new
    [reply] = brand_posts(posting)
    assert reply.replied_to_id == angry.posts[-1].post_id
    audit = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "bridge.case_invite"))
    assert audit.actor_id is None and audit.after["automatic"] is True


def test_auto_invite_is_off_by_default(app, posting):
    case = mention(posting)
    db.session.refresh(case)
    assert case.status == CaseStatus.new and brand_posts(posting) == []


def test_inbox_buttons_invite_and_show_the_outbound_state(app, client, auth, posting, staff):
    case = mention(posting)
    auth.sign_in(staff)
    page = client.get("/staff/bridge").get_data(as_text=True)
    assert f'action="/staff/bridge/cases/{case.id}/invite"' in page
    response = client.post(f"/staff/bridge/cases/{case.id}/invite", data={"version": str(case.version)})
    assert response.status_code == 302
    page = client.get("/staff/bridge?status=all").get_data(as_text=True)
    assert 'data-outbound-kind="invite" data-outbound-state="sent"' in page
    assert f"on X as {brand_posts(posting)[0].id}" in page


def test_inbox_refusals_are_clear_pages_not_errors(app, client, auth, posting, staff, make_user):
    case = mention(posting)
    auth.sign_in(make_user())
    assert client.post(f"/staff/bridge/cases/{case.id}/invite", data={"version": "1"}).status_code == 403
    auth.sign_in(staff)
    response = client.post(f"/staff/bridge/cases/{case.id}/reply", data={"version": "1"})
    assert response.status_code == 422 and "Pick a canned response" in response.get_data(as_text=True)
    response = client.post(f"/staff/bridge/cases/{case.id}/invite", data={"version": "x"})
    assert response.status_code == 400
    response = client.post(f"/staff/bridge/cases/{case.id}/invite", data={"version": "1"},
                           headers={"Accept": "application/json"})
    assert response.status_code == 200 and response.get_json()["status"] == "invited"
    response = client.post(f"/staff/bridge/cases/{case.id}/invite", data={"version": "1"},
                           headers={"Accept": "application/json"})
    assert response.status_code == 409 and "it is now invited" in response.get_json()["error"]["message"]
    assert len(brand_posts(posting)) == 1


def test_status_page_shows_the_invite_budget_used(app, client, auth, posting, make_user):
    case = mention(posting)
    bridge_invite.invite(make_user(role="staff"), case.id, case.version)
    auth.sign_in(make_user(role="admin"))
    page = client.get("/staff/bridge/status").get_data(as_text=True)
    assert "Invites and replies: 1 of 20 in the last 15 minutes" in page and "sent 1" in page


def test_a_sent_invite_emits_the_bridge_invited_webhook_once(app, posting, staff, monkeypatch):
    from community.webhooks import delivery as webhooks

    emitted = []
    monkeypatch.setattr(webhooks, "emit", lambda event, data, key=None: emitted.append((event, data, key)))
    case = mention(posting)
    bridge_invite.invite(staff, case.id, case.version)
    [row] = outbound_rows()
    assert emitted == [("bridge.invited", {"case_id": case.id, "remote_post_id": row.remote_post_id,
                                           "in_reply_to_post_id": row.in_reply_to_post_id}, f"bridge.invited:{row.id}")]
    bridge_outbox.mark_sent(row.id, row.remote_post_id)  # a job running twice
    assert len(emitted) == 1


def test_a_failed_invite_can_be_sent_again_after_reopening_the_case(app, posting, staff):
    from community.bridge import triage as bridge_triage

    case = mention(posting)
    posting.fake.state.add_fault("status", "POST /2/tweets", status=400)
    bridge_invite.invite(staff, case.id, case.version)
    [row] = outbound_rows()
    assert row.state == OutboundState.failed and brand_posts(posting) == []
    db.session.refresh(case)
    assert case.status == CaseStatus.invited and case.invited_at is None  # nobody was invited yet
    case = bridge_triage.act(staff, case.id, "reopen", case.version)
    bridge_invite.invite(staff, case.id, case.version)
    [row] = outbound_rows()  # the same row, re-armed: one per case and kind
    [reply] = brand_posts(posting)
    assert (row.state, row.remote_post_id, row.attempts, row.last_error) == (OutboundState.sent, reply.id, 1, "")
    assert "/join/" in reply.text
    db.session.refresh(case)
    assert case.invited_at is not None
