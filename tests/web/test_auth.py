"""Sign-up, sign-in/out, verification and password reset through the real forms."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from community.extensions import db
from community.models import User, utcnow
from tests.factories import DEFAULT_PASSWORD
from tests.mailbox import link_path, outbox
from tests.web.session_helpers import signed_in

GOOD = {"email": "ada@example.com", "display_name": "Ada Lovelace", "password": "analytical engine 1843"}


def user_count() -> int:
    return db.session.scalar(select(func.count()).select_from(User))


@pytest.mark.backends("sqlite")
def test_sign_up_form_is_accessible(client):
    html = client.get("/sign-up").get_data(as_text=True)
    assert '<label for="email">' in html and 'autocomplete="email"' in html
    assert 'autocomplete="new-password"' in html and 'aria-describedby="password-hint"' in html


def test_sign_up_signs_in_and_emails_a_verification_link(app, client):
    response = client.post("/sign-up", data=GOOD)
    assert response.status_code == 302
    user = db.session.scalar(select(User))
    assert (user.username, user.email_verified) == ("ada-lovelace", False)
    assert signed_in(client)
    [message] = outbox(app)
    assert message["To"] == "ada@example.com"
    assert link_path(message).startswith("/verify-email/")


@pytest.mark.backends("sqlite")
@pytest.mark.parametrize(
    "changes, field_message",
    [
        ({"email": "ADA@EXAMPLE.COM"}, "already exists"),
        ({"password": "short"}, "at least 10 characters"),
        ({"password": "password1234"}, "too common"),
        ({"email": "ada at example"}, "valid email address"),
        ({"display_name": "Ada\x00"}, "not allowed"),
        ({"display_name": ""}, "Enter the name"),
    ],
)
def test_sign_up_bad_input_keeps_what_was_typed(app, client, make_user, changes, field_message):
    make_user(email="ada@example.com")
    data = {**GOOD, "email": "new@example.com", **changes}
    response = client.post("/sign-up", data=data)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert field_message in html
    assert 'aria-invalid="true"' in html
    if "\x00" not in data["display_name"]:
        assert f'value="{data["display_name"]}"' in html or not data["display_name"]
    assert f'value="{data["email"]}"' in html
    assert data["password"] not in html or len(data["password"]) < 6
    assert user_count() == 1


@pytest.mark.backends("sqlite")
def test_sign_up_with_invalid_utf8_is_a_clear_422(client):
    body = b"email=ada%40example.com&display_name=Ada%FF%FE&password=analytical+engine+1843"
    multipart = (
        b'--b\r\nContent-Disposition: form-data; name="display_name"\r\n\r\nAda\xff\xfe\r\n'
        b'--b\r\nContent-Disposition: form-data; name="email"\r\n\r\nada@example.com\r\n'
        b'--b\r\nContent-Disposition: form-data; name="password"\r\n\r\nanalytical engine 1843\r\n--b--\r\n'
    )
    raw = client.post("/sign-up", data=multipart, content_type="multipart/form-data; boundary=b")
    assert raw.status_code == 422
    assert "not allowed" in raw.get_data(as_text=True)
    assert user_count() == 0
    # URL-encoded bytes that aren't UTF-8 stay percent-escaped text: harmless, and never a 500.
    encoded = client.post("/sign-up", data=body, content_type="application/x-www-form-urlencoded")
    assert encoded.status_code == 302
    assert db.session.scalar(select(User.display_name)) == "Ada%FF%FE"


@pytest.mark.backends("sqlite")
def test_sign_up_without_csrf_token_is_refused(app, client):
    app.config["WTF_CSRF_ENABLED"] = True
    response = client.post("/sign-up", data=GOOD)
    assert response.status_code == 400
    assert "form expired" in response.get_data(as_text=True)
    assert user_count() == 0


def test_sign_in_with_remember_me_sets_the_cookie(client, make_user):
    make_user(email="grace@example.com")
    response = client.post("/sign-in", data={"email": "Grace@Example.com", "password": DEFAULT_PASSWORD, "remember": "y"})
    assert response.status_code == 302
    assert client.get_cookie("remember_token") is not None
    assert signed_in(client)


@pytest.mark.backends("sqlite")
def test_sign_in_without_remember_me_sets_no_cookie(client, make_user):
    make_user(email="grace@example.com")
    client.post("/sign-in", data={"email": "grace@example.com", "password": DEFAULT_PASSWORD})
    assert client.get_cookie("remember_token") is None
    assert signed_in(client)


@pytest.mark.backends("sqlite")
def test_wrong_password_is_a_422_that_keeps_the_email(client, make_user):
    make_user(email="grace@example.com")
    response = client.post("/sign-in", data={"email": "grace@example.com", "password": "nope nope nope"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "email or password is incorrect" in html and 'value="grace@example.com"' in html
    assert not signed_in(client)


@pytest.mark.backends("sqlite")
@pytest.mark.parametrize(
    "target, expected",
    [
        ("/t/1", "/t/1"),
        ("//evil.com", "/"),
        ("http://evil.com", "/"),
        ("/\\evil.com", "/"),
        ("javascript:alert(1)", "/"),
    ],
)
def test_next_only_goes_to_same_origin_paths(client, make_user, target, expected):
    make_user(email="grace@example.com")
    response = client.post("/sign-in", data={"email": "grace@example.com", "password": DEFAULT_PASSWORD, "next": target})
    assert response.headers["Location"] == expected


@pytest.mark.backends("sqlite")
def test_sign_in_page_carries_next_into_the_form(client):
    assert 'value="/t/1"' in client.get("/sign-in?next=/t/1").get_data(as_text=True)


@pytest.mark.backends("sqlite")
def test_a_page_that_needs_sign_in_is_reached_after_signing_in(client, make_user):
    make_user(email="grace@example.com")
    sign_in_page = client.get("/settings", follow_redirects=True)
    assert 'name="next" type="hidden" value="/settings"' in sign_in_page.get_data(as_text=True)
    response = client.post("/sign-in", data={"email": "grace@example.com", "password": DEFAULT_PASSWORD, "next": "/settings"})
    assert response.headers["Location"] == "/settings"


@pytest.mark.backends("sqlite")
@pytest.mark.parametrize(
    "change, status, words",
    [
        ({"is_banned": True}, 403, "banned"),
        ({"suspended_until": utcnow() + timedelta(days=1)}, 403, "suspended until"),
        ({"deleted_at": utcnow()}, 422, "incorrect"),
    ],
)
def test_blocked_accounts_get_a_clear_message(client, make_user, change, status, words):
    user = make_user(email="grace@example.com")
    for key, value in change.items():
        setattr(user, key, value)
    db.session.commit()
    response = client.post("/sign-in", data={"email": "grace@example.com", "password": DEFAULT_PASSWORD})
    assert response.status_code == status
    assert words in response.get_data(as_text=True)
    assert not signed_in(client)


@pytest.mark.backends("sqlite")
def test_sign_out_is_post_only(client, auth, make_user):
    auth.sign_in(make_user())
    assert client.get("/sign-out").status_code == 405
    assert signed_in(client)
    assert client.post("/sign-out").status_code == 302
    assert not signed_in(client)


@pytest.mark.backends("sqlite")
def test_unverified_user_can_sign_in_and_read_but_not_post(client, make_user):
    from community import policies

    user = make_user(email="new@example.com", email_verified=False)
    client.post("/sign-in", data={"email": "new@example.com", "password": DEFAULT_PASSWORD})
    assert signed_in(client)
    assert not policies.can_post(user)


def test_verification_link_confirms_once_then_explains(app, client):
    client.post("/sign-up", data=GOOD)
    path = link_path(outbox(app)[0])
    page = client.get(path)
    assert page.status_code == 200 and "Confirm my email" in page.get_data(as_text=True)
    assert not db.session.scalar(select(User)).email_verified
    assert client.post(path).status_code == 302
    db.session.expire_all()
    assert db.session.scalar(select(User)).email_verified
    reused = client.get(path)
    assert reused.status_code == 400
    assert "already been used" in reused.get_data(as_text=True) and "Send a new link" in reused.get_data(as_text=True)


@pytest.mark.backends("sqlite")
@pytest.mark.parametrize("problem, words", [("expired", "has expired"), ("tampered", "not valid")])
def test_bad_verification_links_get_a_friendly_400(app, client, problem, words):
    client.post("/sign-up", data=GOOD)
    path = link_path(outbox(app)[0])
    if problem == "expired":
        app.config["EMAIL_TOKEN_MAX_AGE"] = -1
    else:
        path = path[:-4] + ("abcd" if not path.endswith("abcd") else "efgh")
    response = client.post(path)
    assert response.status_code == 400
    assert words in response.get_data(as_text=True)
    assert not db.session.scalar(select(User)).email_verified


@pytest.mark.backends("sqlite")
def test_resend_verification_sends_a_new_link(app, client, auth, make_user):
    auth.sign_in(make_user(email="new@example.com", email_verified=False))
    assert client.post("/verify-email/resend").status_code == 302
    [message] = outbox(app)
    assert message["To"] == "new@example.com"


@pytest.mark.backends("sqlite")
def test_anonymous_resend_does_not_reveal_accounts(app, client, make_user):
    make_user(email="new@example.com", email_verified=False)
    first = client.post("/verify-email/resend", data={"email": "new@example.com"}, follow_redirects=True)
    second = client.post("/verify-email/resend", data={"email": "nobody@example.com"}, follow_redirects=True)
    assert "If that address has an unconfirmed account" in first.get_data(as_text=True)
    assert "If that address has an unconfirmed account" in second.get_data(as_text=True)
    assert len(outbox(app)) == 1


def test_password_reset_flow_ends_old_sessions_and_is_single_use(app, client, make_user):
    user = make_user(email="grace@example.com")
    other_device = app.test_client()
    other_device.post("/sign-in", data={"email": "grace@example.com", "password": DEFAULT_PASSWORD})
    assert signed_in(other_device)

    unknown = client.post("/password/forgot", data={"email": "nobody@example.com"})
    known = client.post("/password/forgot", data={"email": "grace@example.com"})
    assert "If an account exists" in unknown.get_data(as_text=True)
    assert "If an account exists" in known.get_data(as_text=True)
    [message] = outbox(app)
    path = link_path(message)

    new = "a fresh long passphrase"
    assert client.post(path, data={"password": new, "confirm": new}).status_code == 302
    assert signed_in(client)
    assert not signed_in(other_device)
    reused = client.post(path, data={"password": "another passphrase!", "confirm": "another passphrase!"})
    assert reused.status_code == 400 and "Send a new link" in reused.get_data(as_text=True)
    db.session.expire_all()
    from community.services.passwords import verify_password

    assert verify_password(db.session.get(User, user.id).password_hash, new)


@pytest.mark.backends("sqlite")
def test_reset_form_rejects_weak_and_mismatched_passwords(app, client, make_user):
    make_user(email="grace@example.com")
    client.post("/password/forgot", data={"email": "grace@example.com"})
    path = link_path(outbox(app)[0])
    weak = client.post(path, data={"password": "qwertyuiop", "confirm": "qwertyuiop"})
    assert weak.status_code == 422 and "too common" in weak.get_data(as_text=True)
    mismatch = client.post(path, data={"password": "long enough one", "confirm": "long enough two"})
    assert mismatch.status_code == 422 and "differ" in mismatch.get_data(as_text=True)
    assert client.get(path).status_code == 200


@pytest.mark.backends("sqlite")
def test_forgot_password_with_invalid_email_keeps_input(client):
    response = client.post("/password/forgot", data={"email": "not an email"})
    assert response.status_code == 422
    assert 'value="not an email"' in response.get_data(as_text=True)
