"""Signing out ends that sign-in on the server (services/accounts.py end_login): a copy of its
session or remember-me cookie no longer signs anyone in, kept home pages included, while the
same person's other sign-ins go on."""
from __future__ import annotations

from datetime import timedelta

from flask import g

from community.extensions import db
from community.models import RevokedLogin, utcnow
from community.services import accounts
from tests.factories import DEFAULT_PASSWORD


def _sign_in(client, email: str, remember: bool = False) -> None:
    g.pop("_login_user", None)
    data = {"email": email, "password": DEFAULT_PASSWORD, **({"remember": "y"} if remember else {})}
    assert client.post("/sign-in", data=data).status_code == 302


def _sign_out(client) -> None:
    g.pop("_login_user", None)  # test requests share the fixture's app context
    assert client.post("/sign-out").status_code == 302


def _home(client) -> str:
    g.pop("_login_user", None)  # test requests share the fixture's app context
    return client.get("/").get_data(as_text=True)


def _signed_in(client) -> bool:
    g.pop("_login_user", None)
    return client.get("/settings").status_code == 200


def test_a_copy_of_the_session_cookie_stops_working_after_sign_out(app, client, make_user):
    make_user(email="grace@example.com", display_name="Grace Hopper")
    _sign_in(client, "grace@example.com")
    for _ in range(3):  # the home page is kept for this cookie, as in production
        assert "Grace Hopper" in _home(client)
    copied = client.get_cookie(app.config["SESSION_COOKIE_NAME"]).value
    _sign_out(client)
    thief = app.test_client()
    thief.set_cookie(app.config["SESSION_COOKIE_NAME"], copied)
    html = _home(thief)
    assert "Grace Hopper" not in html and "Sign in" in html
    assert not _signed_in(thief)


def test_a_copy_of_the_remember_me_cookie_stops_working_after_sign_out(app, client, make_user):
    make_user(email="grace@example.com")
    _sign_in(client, "grace@example.com", remember=True)
    copied = client.get_cookie("remember_token").value
    thief = app.test_client()
    thief.set_cookie("remember_token", copied)
    assert _signed_in(thief)  # the copy works while the sign-in lasts
    _sign_out(client)
    thief = app.test_client()
    thief.set_cookie("remember_token", copied)
    assert not _signed_in(thief)


def test_signing_out_leaves_the_same_persons_other_sign_ins(app, client, make_user):
    make_user(email="grace@example.com")
    laptop, phone = client, app.test_client()
    _sign_in(laptop, "grace@example.com")
    _sign_in(phone, "grace@example.com")
    _sign_out(laptop)
    assert not _signed_in(laptop) and _signed_in(phone)


def test_revoked_sign_ins_are_forgotten_once_their_cookies_have_expired(make_user):
    user = make_user()
    db.session.add_all([
        RevokedLogin(login_id="expired", user_id=user.id, expires_at=utcnow() - timedelta(minutes=1)),
        RevokedLogin(login_id="still-live", user_id=user.id, expires_at=utcnow() + timedelta(days=30)),
    ])
    db.session.commit()
    assert accounts.prune_revoked_logins() == 1
    assert [row.login_id for row in db.session.query(RevokedLogin)] == ["still-live"]
