"""Accounts from identity: linking an existing account only after its password, the unique key on
(provider, subject), the admins' mapping, SSO only with a break-glass admin, /admin/identity."""
from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from community.extensions import db
from community.models import AuditEntry, IdentityLink, IdentityProvider, Role, User

from .provider import CLIENT_ID, CLIENT_SECRET
from .test_sign_in import sign_in_as


def _signed_in_name(client) -> str | None:
    page = client.get("/settings")
    return None if page.status_code != 200 else page.get_data(as_text=True)


def test_an_existing_account_with_the_same_email_is_never_linked_silently(client, registered, make_user):
    owner = make_user(email="alice@acme.example.com", display_name="Alice Original", password="correct horse battery")
    response = sign_in_as(client, registered, "alice")
    assert response.status_code == 302 and response.headers["Location"] == "/sso/link"
    assert db.session.scalar(select(IdentityLink)) is None
    assert client.get("/settings").status_code == 302  # nobody is signed in yet
    page = client.get("/sso/link")
    assert b"Link your Acme sign-in" in page.data and b"alice@acme.example.com" in page.data
    wrong = client.post("/sso/link", data={"action": "link", "password": "not the password"})
    assert wrong.status_code == 422 and b"incorrect" in wrong.data
    assert db.session.scalar(select(IdentityLink)) is None and client.get("/settings").status_code == 302
    right = client.post("/sso/link", data={"action": "link", "password": "correct horse battery"})
    assert right.status_code == 302
    link = db.session.scalar(select(IdentityLink))
    assert (link.provider, link.subject, link.user_id) == ("acme", "alice", owner.id)
    assert client.get("/settings").status_code == 200
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "identity.linked")).target_id == owner.id
    client.post("/sign-out")
    again = sign_in_as(client, registered, "alice")  # linked now: straight in
    assert again.status_code == 302 and again.headers["Location"] == "/"
    assert len(db.session.scalars(select(User)).all()) == 1


def test_cancelling_the_link_signs_nobody_in(client, registered, make_user):
    make_user(email="alice@acme.example.com", password="correct horse battery")
    sign_in_as(client, registered, "alice")
    response = client.post("/sso/link", data={"action": "cancel"})
    assert response.status_code == 302 and db.session.scalar(select(IdentityLink)) is None
    assert client.get("/sso/link").status_code == 400  # the pending link is gone


def test_one_account_per_provider_subject_in_the_database(app, make_user):
    first, second = make_user(), make_user()
    db.session.add(IdentityLink(provider="acme", subject="alice", user_id=first.id))
    db.session.commit()
    db.session.add(IdentityLink(provider="acme", subject="alice", user_id=second.id))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_leaving_the_staff_group_makes_a_customer_again_but_admins_stay(client, registered, app, make_user):
    sign_in_as(client, registered, "sam")
    sam = db.session.scalar(select(User).where(User.email_normalized == "sam@acme.example.com"))
    assert sam.role == Role.staff and sam.is_verified_customer
    client.post("/sign-out")
    app.config["OIDC_PROVIDERS"] = [dict(p, staff_group="nobody-has-this") for p in app.config["OIDC_PROVIDERS"]]
    sign_in_as(client, registered, "sam")
    db.session.refresh(sam)
    assert sam.role == Role.customer
    client.post("/sign-out")
    sam.role = Role.admin
    db.session.commit()
    sign_in_as(client, registered, "sam")
    db.session.refresh(sam)
    assert sam.role == Role.admin


def test_an_unverified_provider_email_makes_an_unconfirmed_account(client, registered):
    sign_in_as(client, registered, "una")
    una = db.session.scalar(select(User).where(User.email_normalized == "una@acme.example.com"))
    assert una is not None and not una.email_verified and not una.is_verified_customer


def test_a_rotated_signing_key_is_fetched_on_its_unknown_kid(client, registered):
    sign_in_as(client, registered, "alice")  # caches the key set
    client.post("/sign-out")
    registered.rotate("acme", drop_old=True)  # the provider signs with a key Parley has not seen
    response = sign_in_as(client, registered, "alice")
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "identity.refused")) is None


def test_sso_only_turns_passwords_off_except_for_a_break_glass_admin(client, registered, app, make_user):
    app.config["SSO_ONLY"] = True
    app.config["SSO_BREAK_GLASS_EMAILS"] = "root@example.com"
    make_user(email="member@example.com", password="correct horse battery")
    make_user(email="root@example.com", password="correct horse battery", role=Role.admin)
    refused = client.post("/sign-in", data={"email": "member@example.com", "password": "correct horse battery"})
    assert refused.status_code == 403 and b"Passwords are turned off" in refused.data
    assert client.get("/settings").status_code == 302
    assert client.get("/sign-up").status_code == 302
    allowed = client.post("/sign-in", data={"email": "root@example.com", "password": "correct horse battery"})
    assert allowed.status_code == 302 and client.get("/settings").status_code == 200
    client.post("/sign-out")
    assert sign_in_as(client, registered, "alice").headers["Location"] == "/"


def test_admins_add_a_provider_that_the_sign_in_page_then_offers(client, auth, idp, make_user):
    admin = make_user(role=Role.admin)
    member = make_user()
    auth.sign_in(member)
    assert client.get("/admin/identity/").status_code == 403
    auth.sign_in(admin)
    bad = client.post("/admin/identity/new", data={"slug": "Bad Slug", "name": "", "issuer": "ftp://x"})
    assert bad.status_code == 422 and b"Required." in bad.data and b"lower-case" in bad.data
    assert client.post("/admin/identity/new", data={"slug": "acme", "name": "Acme"}).status_code == 422  # settings own it
    form = {"slug": "initech", "name": "Initech <b>SSO</b>", "issuer": idp.issuers["globex"], "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET, "scopes": "email profile", "enabled": "y", "staff_group": "support-team"}
    assert client.post("/admin/identity/new", data=form).status_code == 302
    row = db.session.scalar(select(IdentityProvider).where(IdentityProvider.slug == "initech"))
    assert row.scopes == "openid email profile" and row.client_secret == CLIENT_SECRET
    listing = client.get("/admin/identity/").get_data(as_text=True)
    assert "Initech &lt;b&gt;SSO&lt;/b&gt;" in listing and CLIENT_SECRET not in listing
    edit = client.post(f"/admin/identity/{row.id}", data={**form, "client_secret": ""})
    assert edit.status_code == 302 and db.session.get(IdentityProvider, row.id).client_secret == CLIENT_SECRET
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "settings.identity_provider"))
    assert entry.actor_id == admin.id and "client_secret" not in entry.after
    auth.sign_out()
    assert "Continue with Initech &lt;b&gt;SSO&lt;/b&gt;" in client.get("/sign-in").get_data(as_text=True)
    auth.sign_in(admin)
    assert client.post(f"/admin/identity/{row.id}/delete").status_code == 302
    assert db.session.get(IdentityProvider, row.id) is None


def test_a_provider_added_by_an_admin_signs_people_in(client, idp, make_user):
    from community.identity import providers

    admin = make_user(role=Role.admin)
    providers.save_provider(admin, {"slug": "initech", "name": "Initech", "issuer": idp.issuers["globex"],
                                    "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "enabled": "y",
                                    "scopes": "openid email profile groups", "moderator_group": "support-team"})
    idp.register("globex", "http://localhost", slug="initech")
    sign_in_as(client, idp, "sam", slug="initech")
    sam = db.session.scalar(select(User).where(User.email_normalized == "sam@acme.example.com"))
    assert sam.role == Role.moderator
    assert db.session.scalar(select(IdentityLink)).provider == "initech"


def test_a_banned_account_cannot_come_back_through_the_provider(client, registered):
    sign_in_as(client, registered, "alice")
    client.post("/sign-out")
    alice = db.session.scalar(select(User).where(User.email_normalized == "alice@acme.example.com"))
    alice.is_banned = True
    db.session.commit()
    response = sign_in_as(client, registered, "alice")
    assert response.status_code == 400 and b"banned" in response.data
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "identity.refused")).first()
    assert entry.after["code"] == "account_blocked"
    assert client.get("/settings").status_code == 302
