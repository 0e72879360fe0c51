"""Token lifecycle: create (shown once, stored hashed), use, expire, revoke; service tokens; the pages."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from community.errors import PermissionDenied, ValidationFailed
from community.extensions import db
from community.models import ApiToken, AuditEntry, Role, User, utcnow
from community.services import api_tokens

from .conftest import ApiClient


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_a_personal_token_is_stored_hashed_works_and_is_revocable(app, client, make_user):
    member = make_user()
    new = api_tokens.create_personal_token(member, "  my   script ", ["write", "read"], "30")
    row = db.session.get(ApiToken, new.token.id)
    assert new.secret.startswith("pk_") and len(new.secret) > 40
    assert row.token_hash == api_tokens.hash_token(new.secret) and new.secret not in (row.token_hash, row.prefix)
    assert new.secret.startswith(row.prefix) and row.name == "my script" and row.scopes == ["read", "write"]
    assert timedelta(days=29) < row.expires_at - utcnow() <= timedelta(days=30)

    api = ApiClient(client, new.secret)
    me = api.get("/me")
    assert me.status_code == 200 and me.json["user"]["id"] == member.id and me.json["token"]["scopes"] == ["read", "write"]
    assert "staff_view" not in me.json["user"]
    db.session.refresh(row)
    assert row.last_used_at is not None

    api_tokens.revoke(member, row.id)
    refused = api.get("/me")
    assert refused.status_code == 401 and refused.json["error"]["code"] == "unauthorized"
    assert refused.headers["WWW-Authenticate"].startswith("Bearer")
    actions = db.session.scalars(select(AuditEntry.action).where(AuditEntry.target_type == "api_token")).all()
    assert sorted(actions) == ["api_token.create", "api_token.revoke"]


@pytest.mark.backends("sqlite")  # pages and header parsing: no database semantics
def test_missing_or_unknown_tokens_get_401_json(app, client):
    for header in (None, "Bearer", "Bearer nonsense", "Basic dXNlcjpwYXNz", "Bearer pk_" + "x" * 43, "Bearer pk_\udcff"):
        response = client.get("/api/v1/me", headers={"Authorization": header} if header else {})
        assert response.status_code == 401, header
        assert response.is_json and set(response.json["error"]) == {"status", "code", "message", "fields"}


def test_expired_tokens_and_banned_users_are_refused(app, client, make_user):
    member, banned = make_user(), make_user()
    expired = api_tokens.create_personal_token(member, "old", ["read"], "1")
    expired.token.expires_at = utcnow() - timedelta(seconds=1)
    blocked = api_tokens.create_personal_token(banned, "b", ["read"])
    banned.is_banned = True
    db.session.commit()
    assert ApiClient(client, expired.secret).get("/me").status_code == 401
    assert ApiClient(client, blocked.secret).get("/me").status_code == 401


def test_scope_rules_for_who_may_hold_which_scope(app, make_user):
    member, staff, admin = make_user(), make_user(role="staff"), make_user(role="admin")
    with pytest.raises(ValidationFailed) as refused:
        api_tokens.create_personal_token(member, "x", ["moderate"])
    assert "staff" in refused.value.fields["scopes"]
    with pytest.raises(ValidationFailed) as refused:
        api_tokens.create_personal_token(staff, "x", ["admin"])
    assert "admin" in refused.value.fields["scopes"]
    with pytest.raises(ValidationFailed) as refused:
        api_tokens.create_personal_token(member, "", ["fly"], "0")
    assert set(refused.value.fields) == {"name", "scopes", "expires_in_days"}
    assert api_tokens.create_personal_token(admin, "all", ["admin"]).token.scopes == ["admin"]


def test_service_tokens_act_as_their_own_service_account(app, client, make_user):
    admin, staff = make_user(role="admin"), make_user(role="staff")
    with pytest.raises(PermissionDenied):
        api_tokens.create_service_token(staff, "CRM", ["read"])
    new = api_tokens.create_service_token(admin, "CRM sync", ["read", "write"])
    account = db.session.get(User, new.token.user_id)
    assert account.id != admin.id and account.role == Role.staff and account.password_hash is None
    assert account.email_verified and "CRM sync" in account.display_name
    assert new.token.created_by_id == admin.id
    me = ApiClient(client, new.secret).get("/me")
    assert me.json["token"]["kind"] == "service" and me.json["user"]["id"] == account.id
    # Members cannot revoke it, and it is not theirs to see; admins can.
    with pytest.raises(Exception):
        api_tokens.revoke(staff, new.token.id)
    assert [t.id for t in api_tokens.service_tokens(admin)] == [new.token.id]
    api_tokens.revoke(admin, new.token.id)
    assert ApiClient(client, new.secret).get("/me").status_code == 401


def test_nobody_can_revoke_someone_elses_personal_token(app, make_user):
    owner, other, admin = make_user(), make_user(), make_user(role="admin")
    token = api_tokens.create_personal_token(owner, "mine", ["read"]).token
    for actor in (other, admin):
        with pytest.raises(Exception) as refused:
            api_tokens.revoke(actor, token.id)
        assert refused.value.status_code == 404
    assert db.session.get(ApiToken, token.id).revoked_at is None


def test_session_cookie_is_not_accepted(app, client, auth, make_user, make_thread):
    """A signed-in browser session is no credential for the API, so cross-site forgery has nothing to ride on."""
    admin = make_user(role="admin")
    thread = make_thread(author=admin)
    auth.sign_in(admin)
    assert client.get("/api/v1/me").status_code == 401
    before = _count(ApiToken), thread.reply_count
    response = client.post(f"/api/v1/threads/{thread.id}/posts", json={"body": "forged"})
    assert response.status_code == 401
    db.session.refresh(thread)
    assert (_count(ApiToken), thread.reply_count) == before


# --- the pages --------------------------------------------------------------------------------------


def test_personal_token_page_shows_the_secret_once_lists_and_revokes(app, client, auth, make_user):
    member = make_user()
    auth.sign_in(member)
    assert "API tokens" in client.get("/settings").get_data(as_text=True)
    created = client.post("/settings/tokens", data={"name": "laptop", "scopes": ["read", "write"], "expires_in_days": ""})
    page = created.get_data(as_text=True)
    token = db.session.scalar(select(ApiToken).where(ApiToken.user_id == member.id))
    assert created.status_code == 201 and created.headers["Cache-Control"] == "no-store"
    secret = page.split('id="new-token"', 1)[1].split('value="', 1)[1].split('"', 1)[0]
    assert api_tokens.hash_token(secret) == token.token_hash and "will not be shown again" in page
    listing = client.get("/settings/tokens").get_data(as_text=True)
    assert "laptop" in listing and token.prefix in listing and secret not in listing
    assert client.post(f"/settings/tokens/{token.id}/revoke").status_code == 302
    assert "revoked" in client.get("/settings/tokens").get_data(as_text=True)
    assert ApiClient(client, secret).get("/me").status_code == 401


@pytest.mark.backends("sqlite")  # pages and header parsing: no database semantics
def test_token_form_keeps_input_and_explains_errors(app, client, auth, make_user):
    auth.sign_in(make_user())
    response = client.post("/settings/tokens", data={"name": "keep me", "scopes": ["moderate"], "expires_in_days": "abc"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'value="keep me"' in page and "Only staff" in page and "whole number of days" in page
    assert _count(ApiToken) == 0


@pytest.mark.backends("sqlite")  # pages and header parsing: no database semantics
def test_service_token_page_is_for_admins(app, client, auth, make_user):
    auth.sign_in(make_user(role="staff"))
    assert client.get("/admin/api-tokens").status_code == 403
    assert client.post("/admin/api-tokens", data={"name": "x", "scopes": ["read"]}).status_code == 403
    auth.sign_in(make_user(role="admin"))
    assert "API tokens" in client.get("/admin/").get_data(as_text=True)
    created = client.post("/admin/api-tokens", data={"name": "CRM", "scopes": ["read", "moderate"]})
    assert created.status_code == 201 and "pk_" in created.get_data(as_text=True)
    assert db.session.scalar(select(ApiToken)).kind.value == "service"


@pytest.mark.backends("sqlite")  # pages and header parsing: no database semantics
def test_anonymous_visitors_are_sent_to_sign_in(app, client):
    assert client.get("/settings/tokens").status_code == 302
