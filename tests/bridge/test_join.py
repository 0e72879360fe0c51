"""/join/<token>: invite links (hash only, one per case), the landing, the atomic single-use claim,
refused links (tampered, expired, replayed, taken) and the pre-filled composer linking the case."""
from __future__ import annotations

import re
import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from community.extensions import db
from community.models import (
    AuditEntry, BridgeAccountLink, BridgeCase, BridgeInvite, BridgeJoinRejection, CaseStatus, Thread, User, utcnow,
)
from community.bridge import invite_links as bridge_invites

from .join_helpers import invite_token, make_case


def _invite(case) -> BridgeInvite:
    return db.session.scalar(select(BridgeInvite).where(BridgeInvite.case_id == case.id))


def _rejections(reason: str) -> int:
    return db.session.scalar(select(func.coalesce(func.sum(BridgeJoinRejection.count), 0))
                             .where(BridgeJoinRejection.reason == reason))


# --- issuing ------------------------------------------------------------------------------------


def test_invite_link_is_absolute_per_case_and_stable_and_only_its_hash_is_stored(app):
    first, second = make_case(), make_case(author_id="1002", post_id="5002")
    url = bridge_invites.issue_invite_link(first)
    assert url.startswith(app.config["BASE_URL"] + "/join/")
    assert bridge_invites.issue_invite_link(first) == url  # a retried invite sends the same text
    assert bridge_invites.issue_invite_link(second) != url
    token = url.rsplit("/", 1)[1]
    invite = _invite(first)
    stored = [str(value) for value in (invite.token_hash, invite.nonce)]
    assert token not in " ".join(stored) and invite.token_hash == bridge_invites.hash_token(token)
    assert invite.expires_at - invite.created_at == timedelta(days=7)
    assert db.session.scalar(select(func.count()).select_from(BridgeInvite)) == 2


def test_an_expired_unclaimed_invite_is_reissued_with_a_new_link_and_the_old_one_dies(app, client):
    case = make_case()
    old = invite_token(case)
    invite = _invite(case)
    invite.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    new = invite_token(case)
    assert new != old
    assert client.get(f"/join/{old}").status_code == 404
    assert client.get(f"/join/{new}").status_code == 200


# --- landing ------------------------------------------------------------------------------------


def test_landing_shows_the_post_and_records_the_first_visit_without_claiming(app, client):
    case = make_case()
    token = invite_token(case)
    response = client.get(f"/join/{token}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "my invoice shows the wrong VAT number" in html and "Continue in our community" in html
    assert f"/sign-up?next=/join/{token}" in html and "noindex" in html
    invite = _invite(case)
    first_landing = invite.landed_at
    assert first_landing is not None and invite.claimed_at is None
    client.get(f"/join/{token}")  # a link-preview bot, or a second visit
    db.session.expire_all()
    assert _invite(case).landed_at == first_landing
    assert db.session.get(BridgeCase, case.id).landed_at == first_landing


def test_tampered_or_malformed_tokens_get_a_404_page_and_are_counted(app, client):
    real = invite_token(make_case())
    tampered = real[:-1] + ("A" if real[-1] != "A" else "B")
    for token in (tampered, "short", "bad$chars-and-more-than-16", "x" * 80, "%00" * 20, "é" * 24):
        response = client.get(f"/join/{token}")
        assert response.status_code == 404, token
        assert "This invite link is not valid" in response.get_data(as_text=True)
    assert _rejections("invalid") == 6
    assert bridge_invites.rejection_counts() == {"invalid": 6}
    assert client.get(f"/join/{real}").status_code == 200


def test_a_claimed_link_opened_signed_out_suggests_signing_in(app, client, auth, make_user):
    token = invite_token(make_case())
    auth.sign_in(make_user())
    client.post(f"/join/{token}", data={})
    auth.sign_out()
    response = client.get(f"/join/{token}")
    assert response.status_code == 410 and f"/sign-in?next=/join/{token}" in response.get_data(as_text=True)


def test_an_expired_invite_gets_410_and_cannot_be_claimed(app, client, auth, make_user):
    case = make_case()
    token = invite_token(case)
    _invite(case).expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    assert client.get(f"/join/{token}").status_code == 410
    auth.sign_in(make_user())
    response = client.post(f"/join/{token}", data={"consent": "y"})
    assert response.status_code == 410 and "expired" in response.get_data(as_text=True)
    assert _invite(case).claimed_at is None
    assert _rejections("expired") == 2


# --- claiming -----------------------------------------------------------------------------------


def test_signed_in_post_claims_once_links_unverified_and_records_join(app, client, auth, make_user):
    case = make_case()
    token = invite_token(case)
    user = make_user()
    auth.sign_in(user)
    assert "Link your X account" in client.get(f"/join/{token}").get_data(as_text=True)
    response = client.post(f"/join/{token}", data={"consent": "y", "action": "continue"})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/join/{token}/thread")
    invite = _invite(case)
    assert invite.claimed_by_id == user.id and invite.claimed_at is not None
    link = db.session.scalar(select(BridgeAccountLink))
    assert (link.user_id, link.network_user_id, link.username) == (user.id, "1001", "jo")
    assert link.public_followup_consent and not link.verified
    assert bridge_invites.consented_link(case) is None  # unverified: never used in public
    assert db.session.get(BridgeCase, case.id).joined_at == invite.claimed_at
    assert db.session.scalar(select(AuditEntry.action).where(AuditEntry.target_id == case.id)) == "bridge.invite_claimed"
    # The same person opening the link again goes on to the composer.
    assert client.get(f"/join/{token}").headers["Location"].endswith(f"/join/{token}/thread")


def test_a_replayed_invite_is_refused_to_someone_else(app, client, auth, make_user):
    case = make_case()
    token = invite_token(case)
    auth.sign_in(make_user())
    client.post(f"/join/{token}", data={})
    intruder = make_user()
    auth.sign_in(intruder)
    assert client.get(f"/join/{token}").status_code == 410
    response = client.post(f"/join/{token}", data={"consent": "y"})
    assert response.status_code == 410 and "already been used" in response.get_data(as_text=True)
    assert _invite(case).claimed_by_id != intruder.id
    assert _rejections("used") == 2


def test_anonymous_post_is_sent_to_sign_in_with_the_link_as_next(app, client):
    token = invite_token(make_case())
    response = client.post(f"/join/{token}", data={})
    assert response.status_code == 302 and f"next=/join/{token}" in response.headers["Location"].replace("%2F", "/")
    assert db.session.scalar(select(BridgeInvite.claimed_at)) is None


def test_an_x_account_linked_to_another_member_is_refused_and_the_invite_stays_unused(app, client, auth, make_user):
    owner = make_user()
    db.session.add(BridgeAccountLink(user_id=owner.id, network="x", network_user_id="1001", username="jo"))
    db.session.commit()
    case = make_case()
    token = invite_token(case)
    auth.sign_in(make_user())
    response = client.post(f"/join/{token}", data={"consent": "y"})
    assert response.status_code == 409 and "already linked to another member" in response.get_data(as_text=True)
    assert _invite(case).claimed_at is None and _rejections("taken") == 1


def test_the_claim_update_has_exactly_one_winner(app, make_user):
    case = make_case()
    invite_token(case)
    invite = _invite(case)
    first, second = make_user(), make_user()
    now = utcnow()
    assert bridge_invites.claim(invite, first, now) is True
    assert bridge_invites.claim(invite, second, now) is False
    db.session.commit()
    db.session.expire_all()
    assert _invite(case).claimed_by_id == first.id


@pytest.mark.backends("postgres")
def test_two_simultaneous_claims_on_postgres_leave_one_winner(app, make_user):
    from community.bridge import linking as bridge_linking

    case = make_case()
    token = invite_token(case)
    user_ids = [make_user().id, make_user().id]
    barrier = threading.Barrier(2, timeout=10)
    outcomes: list[str] = []

    def accept(user_id: int) -> None:
        with app.app_context():
            user = db.session.get(User, user_id)
            barrier.wait()
            try:
                bridge_linking.accept_invite(user, token, consent=False)
                outcomes.append("claimed")
            except bridge_invites.InviteRefused as refused:
                outcomes.append(refused.reason)
            finally:
                db.session.remove()

    workers = [threading.Thread(target=accept, args=(user_id,)) for user_id in user_ids]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=30)
    assert sorted(outcomes) == ["claimed", "used"]  # the loser waited on the row lock, then matched nothing
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(BridgeAccountLink)) == 1


# --- the composer and the thread ----------------------------------------------------------------


def _claimed(client, auth, make_user, **user_options):
    case = make_case()
    token = invite_token(case)
    user = make_user(**user_options)
    auth.sign_in(user)
    client.post(f"/join/{token}", data={"consent": "y"})
    return case, token, user


def test_composer_is_prefilled_with_the_complaint_and_posting_links_the_case(app, client, auth, make_user,
                                                                              make_category):
    category = make_category()
    case, token, user = _claimed(client, auth, make_user)
    html = client.get(f"/join/{token}/thread").get_data(as_text=True)
    assert 'value="My invoice shows the wrong VAT number."' in html
    assert "my invoice shows the wrong VAT number. Who can fix it?</textarea>" in html
    assert "@acmehelp" not in html.split("<textarea", 1)[1] and f'action="/join/{token}/thread"' in html
    response = client.post(f"/join/{token}/thread", data={
        "category": str(category.id), "title": "Wrong VAT number on my invoice", "body": "The VAT number is wrong."})
    thread = db.session.scalar(select(Thread))
    assert response.status_code == 302 and f"/t/{thread.id}-" in response.headers["Location"]
    case = db.session.get(BridgeCase, case.id)
    assert case.linked_thread_id == thread.id and case.status == CaseStatus.linked
    assert case.thread_posted_at == thread.created_at and not thread.is_private
    assert "bridge.thread_linked" in db.session.scalars(select(AuditEntry.action)).all()
    # Once linked, the invite and composer lead to the thread instead of a second one.
    assert f"/t/{thread.id}" in client.get(f"/join/{token}/thread").headers["Location"]
    assert client.post(f"/join/{token}/thread", data={
        "category": str(category.id), "title": "Again", "body": "Again"}).status_code == 422
    assert db.session.scalar(select(func.count()).select_from(Thread)) == 1


def test_the_customer_may_choose_a_private_thread(app, client, auth, make_user, make_category):
    category = make_category()
    case, token, _user = _claimed(client, auth, make_user)
    client.post(f"/join/{token}/thread", data={"category": str(category.id), "title": "Billing problem",
                                                "body": "My account number is 12345.", "private": "y"})
    thread = db.session.scalar(select(Thread))
    assert thread.is_private and db.session.get(BridgeCase, case.id).linked_thread_id == thread.id


def test_a_refused_post_keeps_what_was_typed(app, client, auth, make_user, make_category):
    make_category()
    _case, token, _user = _claimed(client, auth, make_user)
    response = client.post(f"/join/{token}/thread", data={"category": "", "title": "Kept title", "body": "Kept body"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and 'value="Kept title"' in html and "Kept body</textarea>" in html
    assert "Choose a category." in html


def test_an_unconfirmed_email_is_told_how_to_come_back(app, client, auth, make_user, make_category):
    make_category()
    _case, token, user = _claimed(client, auth, make_user, email_verified=False)
    response = client.get(f"/join/{token}/thread")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "Confirm your email address" in html and user.email in html


def test_the_composer_belongs_to_whoever_claimed_the_invite(app, client, auth, make_user):
    _case, token, _user = _claimed(client, auth, make_user)
    auth.sign_in(make_user())
    assert client.get(f"/join/{token}/thread").status_code == 403
    auth.sign_out()
    assert "/sign-in" in client.get(f"/join/{token}/thread").headers["Location"]


def test_claiming_emits_one_bridge_linked_webhook_event(app, client, auth, make_user):
    from community.models import WebhookEndpoint, WebhookEvent

    db.session.add(WebhookEndpoint(url="http://127.0.0.1:9/hook", secret="s", events=["bridge.linked"], enabled=True))
    db.session.commit()
    from community.webhooks.transport import SendResult

    app.extensions["community.webhook_sender"] = type("Accepting", (), {"post": lambda *a, **k: SendResult(200)})()
    case, token, _user = _claimed(client, auth, make_user)
    client.post(f"/join/{token}", data={"consent": ""})  # consent changed later: not a second link event
    events = db.session.scalars(select(WebhookEvent).where(WebhookEvent.type == "bridge.linked")).all()
    assert len(events) == 1 and events[0].payload["data"]["case"]["id"] == case.id
    assert "VAT" not in str(events[0].payload)


def test_admins_see_the_refused_links_on_the_bridge_status_page(app, client, auth, make_user):
    client.get("/join/" + "A" * 24)
    auth.sign_in(make_user(role="admin"))
    html = client.get("/staff/bridge/status").get_data(as_text=True)
    assert re.search(r'id="bridge-join-refusals">[^<]*invalid 1', html)


def test_a_post_deleted_on_x_is_not_shown_and_the_composer_starts_empty(app, client, auth, make_user, make_category):
    from community.models import BridgePost

    make_category()
    case = make_case()
    token = invite_token(case)
    for post in db.session.scalars(select(BridgePost)):
        post.text, post.deleted_at, post.purged_at = None, utcnow(), utcnow()
    db.session.commit()
    html = client.get(f"/join/{token}").get_data(as_text=True)
    assert "deleted on X" in html and "VAT" not in html
    auth.sign_in(make_user())
    client.post(f"/join/{token}", data={})
    composer = client.get(f"/join/{token}/thread").get_data(as_text=True)
    assert 'value="My question from X"' in composer and "VAT" not in composer


def test_landing_and_claiming_leave_the_public_page_cache_alone(app, client, auth, make_user, monkeypatch):
    from community.page_cache import store as page_cache

    bumped: list[set[str]] = []
    monkeypatch.setattr(page_cache, "store_for", lambda _app: type("Recorder", (), {
        "bump": lambda self, names: bumped.append(set(names))})())
    token = invite_token(make_case())
    bumped.clear()
    client.get("/join/" + "A" * 24)  # refused and counted
    client.get(f"/join/{token}")  # landed
    auth.sign_in(make_user())
    client.post(f"/join/{token}", data={"consent": "y"})  # claimed and linked
    assert not [names for names in bumped if page_cache.GLOBAL in names]
