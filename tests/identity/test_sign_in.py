"""Signing in with an OpenID provider, end to end against the real oidc-provider on 127.0.0.1:
discovery, Authorization Code + PKCE, state, nonce, the ID token checks, userinfo, the mapping."""
from __future__ import annotations

from sqlalchemy import select

from community.extensions import db
from community.models import AuditEntry, IdentityLink, IdentityLogin, Role, User

from .provider import callback_path, query_of


def start(client, slug="acme", next_path=None):
    response = client.get(f"/sso/{slug}/start", query_string={"next": next_path} if next_path else None)
    assert response.status_code == 302, response.data[:300]
    return response.headers["Location"]


def sign_in_as(client, idp, login, slug="acme", next_path=None):
    back = idp.log_in(start(client, slug, next_path), login)
    return client.get(callback_path(back))


def test_first_sign_in_makes_a_verified_customer_account_and_signs_in(client, registered):
    authorize = start(client, next_path="/search")
    asked = query_of(authorize)
    assert asked["code_challenge_method"] == "S256" and len(asked["code_challenge"]) == 43
    assert asked["state"] and asked["nonce"] and asked["response_type"] == "code"
    back = registered.log_in(authorize, "alice")
    assert query_of(back)["iss"] == registered.issuers["acme"]
    response = client.get(callback_path(back))
    assert response.status_code == 302 and response.headers["Location"] == "/search"
    alice = db.session.scalar(select(User).where(User.email_normalized == "alice@acme.example.com"))
    assert alice.display_name == "Alice Acme" and alice.email_verified and alice.is_verified_customer
    assert alice.password_hash is None and alice.role == Role.customer
    link = db.session.scalar(select(IdentityLink))
    assert (link.provider, link.subject, link.user_id) == ("acme", "alice", alice.id)
    login = db.session.scalar(select(IdentityLogin))
    assert login.user_id == alice.id and login.sid and login.id_token.count(".") == 2
    page = client.get("/")
    assert b"Alice Acme" in page.data


def test_second_sign_in_uses_the_link_and_follows_the_groups(client, registered):
    sign_in_as(client, registered, "sam")
    sam = db.session.scalar(select(User).where(User.email_normalized == "sam@acme.example.com"))
    assert sam.role == Role.staff  # support-team is the staff group
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "user.role")).after == "staff"
    client.post("/sign-out")
    sign_in_as(client, registered, "sam")
    assert db.session.scalars(select(IdentityLink)).all().__len__() == 1
    assert db.session.scalars(select(User)).all().__len__() == 1


def test_the_sign_in_page_offers_every_enabled_provider(client, registered):
    page = client.get("/sign-in?next=/search").get_data(as_text=True)
    assert "Continue with Acme" in page and "Continue with Globex" in page
    assert "/sso/acme/start?next=/search" in page or "/sso/acme/start?next=%2Fsearch" in page


def test_an_unknown_provider_is_a_clear_404(client, registered):
    response = client.get("/sso/nobody/start")
    assert response.status_code == 404 and b"no such sign-in provider" in response.data


def test_next_only_keeps_same_site_paths(client, registered):
    for target in ("https://evil.example/", "//evil.example", "/\\evil.example"):
        response = sign_in_as(client, registered, "alice", next_path=target)
        assert response.status_code == 302 and response.headers["Location"] == "/", target
        client.post("/sign-out")
