"""Close the loop: the "tell the public it's solved" follow-up. Only with a linked thread that has a
staff-verified answer and the customer's proved, consented account link; a link to the thread when
it is public, a generic sentence when it is private, never anything from the thread itself."""
from __future__ import annotations

import pytest
from sqlalchemy import select, update

from community.errors import ValidationFailed
from community.extensions import db
from community.models import AuditEntry, BridgeAccountLink, BridgeCase, CaseStatus, VerifiedAnswer
from community.models.bridge import OutboundKind, OutboundState
from community.bridge import followup as bridge_followup
from community.bridge import respond as bridge_invite

from .conftest import BRAND_ID, CUSTOMER_ID
from .outbox_world import BASE_URL, brand_posts, mention, outbound_rows, posting  # noqa: F401

SECRET_TITLE = "Invoice 4471 for ACME-SECRET-ACCOUNT is wrong"


@pytest.fixture
def staff(make_user):
    return make_user(role="staff")


def _invited_and_linked(posting, staff, make_user, make_thread, make_post, *, private=False, verified=True,
                        proved=True, consent=True) -> tuple[BridgeCase, object]:
    case = mention(posting)
    bridge_invite.invite(staff, case.id, case.version)
    member = make_user()
    thread = make_thread(author=member, title=SECRET_TITLE, body="My account number is 998877.", is_private=private)
    answer = make_post(thread=thread, author=staff, body="Fixed: the VAT id on account 998877 is corrected.")
    if verified:
        db.session.add(VerifiedAnswer(thread_id=thread.id, post_id=answer.id, verified_by_id=staff.id))
    db.session.add(BridgeAccountLink(user_id=member.id, network="x", network_user_id=CUSTOMER_ID, username="jo",
                                     verified=proved, public_followup_consent=consent))
    db.session.execute(update(BridgeCase).where(BridgeCase.id == case.id).values(
        linked_thread_id=thread.id, status=CaseStatus.linked, version=BridgeCase.version + 1))
    db.session.commit()
    db.session.refresh(case)
    return case, thread


def test_public_thread_followup_links_to_it_and_closes_the_case(
        app, posting, staff, make_user, make_thread, make_post):
    case, thread = _invited_and_linked(posting, staff, make_user, make_thread, make_post)
    assert bridge_followup.refusal(case) is None
    bridge_followup.send_followup(staff, case.id, case.version)

    invite, followup = sorted(brand_posts(posting), key=lambda post: int(post.id))
    assert followup.replied_to_id == invite.replied_to_id == case.posts[-1].post_id
    assert f"{BASE_URL}/t/{thread.id}" in followup.text and followup.text.startswith("@jo Good news")
    assert "998877" not in followup.text and "Invoice" not in followup.text and "ACME-SECRET" not in followup.text
    row = next(r for r in outbound_rows() if r.kind == OutboundKind.solved_followup)
    assert (row.state, row.remote_post_id) == (OutboundState.sent, followup.id)
    db.session.refresh(case)
    assert case.status == CaseStatus.solved and case.verified_at is not None and case.followed_up_at is not None
    assert db.session.scalar(select(AuditEntry.actor_id).where(AuditEntry.action == "bridge.case_solved_followup")) == staff.id
    assert bridge_followup.refusal(case) == "The public follow-up was already sent."


def test_private_thread_followup_is_generic(app, posting, staff, make_user, make_thread, make_post):
    case, thread = _invited_and_linked(posting, staff, make_user, make_thread, make_post, private=True)
    bridge_followup.send_followup(staff, case.id, case.version)
    followup = max(brand_posts(posting), key=lambda post: int(post.id))
    assert followup.text == "@jo Good news: we've resolved this with you privately. Thanks for your patience!"
    assert "/t/" not in followup.text


@pytest.mark.parametrize("missing, reason", [
    ({"verified": False}, "no staff-verified answer"),
    ({"consent": False}, "has not agreed to a public follow-up"),
    ({"proved": False}, "has not agreed to a public follow-up"),
])
def test_no_followup_without_a_verified_answer_and_proved_consent(
        app, posting, staff, make_user, make_thread, make_post, missing, reason):
    case, _thread = _invited_and_linked(posting, staff, make_user, make_thread, make_post, **missing)
    assert reason in bridge_followup.refusal(case)
    assert bridge_followup.ready_case_ids([case]) == set()
    with pytest.raises(ValidationFailed, match=reason):
        bridge_followup.send_followup(staff, case.id, case.version)
    assert len(brand_posts(posting)) == 1  # only the invite


def test_an_unlinked_case_has_no_followup(app, posting, staff):
    case = mention(posting)
    assert bridge_followup.refusal(case) == "This case is not linked to a community thread yet."


def test_inbox_shows_the_button_only_when_ready_and_it_sends(
        app, client, auth, posting, staff, make_user, make_thread, make_post):
    case, _thread = _invited_and_linked(posting, staff, make_user, make_thread, make_post)
    auth.sign_in(staff)
    page = client.get("/staff/bridge?status=all").get_data(as_text=True)
    assert f'action="/staff/bridge/cases/{case.id}/followup"' in page
    response = client.post(f"/staff/bridge/cases/{case.id}/followup", data={"version": str(case.version)})
    assert response.status_code == 302
    assert len([post for post in brand_posts(posting) if post.author_id == BRAND_ID]) == 2
    page = client.get("/staff/bridge?status=all").get_data(as_text=True)
    assert f'action="/staff/bridge/cases/{case.id}/followup"' not in page
    assert 'data-outbound-kind="solved_followup" data-outbound-state="sent"' in page
