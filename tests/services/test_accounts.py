"""Account rules: sign-up validation, usernames, tokens, sign-in refusals, deletion, profiles."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from community.errors import ValidationFailed
from community.extensions import db
from community.models import Post, Thread, User, UsedToken, utcnow
from community.web import reader
from community.services import accounts, tokens
from tests.factories import DEFAULT_PASSWORD

GOOD_PASSWORD = "analytical engine 1843"


def sign_up(email="ada@example.com", name="Ada Lovelace", password=GOOD_PASSWORD) -> User:
    return accounts.sign_up(accounts.SignUp(email, name, password))


def user_count() -> int:
    return db.session.scalar(select(func.count()).select_from(User))


def test_sign_up_creates_unverified_user_with_hash_and_derived_username(app):
    user = sign_up(email="Ada@Example.COM")
    assert user.username == "ada-lovelace"
    assert user.email_normalized == "ada@example.com"
    assert user.password_hash.startswith("$argon2") and GOOD_PASSWORD not in user.password_hash
    assert not user.email_verified


@pytest.mark.backends("sqlite")
@pytest.mark.parametrize(
    "names, expected",
    [
        (["Ada Lovelace", "Ada Lovelace", "ada  LOVELACE!"], ["ada-lovelace", "ada-lovelace-2", "ada-lovelace-3"]),
        (["Zoë Ünïcode"], ["zoe-unicode"]),
        (["李小龍"], ["member"]),
        (["Al"], ["al-member"]),
        (["Admin"], ["admin-member"]),
    ],
)
def test_usernames_are_derived_and_unique(app, names, expected):
    made = [sign_up(email=f"person{i}@example.com", name=name).username for i, name in enumerate(names)]
    assert made == expected


@pytest.mark.parametrize(
    "email, name, password, field",
    [
        ("ADA@example.com", "Other Ada", GOOD_PASSWORD, "email"),
        ("not-an-email", "Ada", GOOD_PASSWORD, "email"),
        ("nul\x00@example.com", "Ada", GOOD_PASSWORD, "email"),
        ("new@example.com", "Ada\x00Lovelace", GOOD_PASSWORD, "display_name"),
        ("new@example.com", "Ada \ufffd", GOOD_PASSWORD, "display_name"),
        ("new@example.com", "x" * 81, GOOD_PASSWORD, "display_name"),
        ("new@example.com", "Ada", "short", "password"),
        ("new@example.com", "Ada", "password1234", "password"),
        ("new@example.com", "Ada", "new@example.com", "password"),
        ("new@example.com", "Ada", "aaaaaaaaaaaa", "password"),
        ("new@example.com", "Ada", "pass\x00word-long-enough", "password"),
    ],
)
def test_sign_up_refuses_bad_input_and_writes_nothing(app, email, name, password, field):
    sign_up()
    with pytest.raises(ValidationFailed) as failed:
        sign_up(email=email, name=name, password=password)
    assert field in failed.value.fields
    assert user_count() == 1


def test_sign_up_reports_a_duplicate_email_lost_in_a_race(app, monkeypatch):
    sign_up()
    real_check = accounts._email_taken
    calls = []

    def blind_first_check(email, except_user_id=None):
        calls.append(email)
        return False if len(calls) == 1 else real_check(email, except_user_id)

    monkeypatch.setattr(accounts, "_email_taken", blind_first_check)
    with pytest.raises(ValidationFailed) as failed:
        sign_up(email="ADA@example.com", name="Racing Ada")
    assert "already exists" in failed.value.fields["email"]
    assert user_count() == 1


# --- tokens --------------------------------------------------------------------------------------


def verification_token(user: User) -> str:
    return tokens.make_token(tokens.VERIFY_EMAIL, user.id, email=user.email_normalized)


def test_verification_token_is_single_use(app):
    user = sign_up()
    token = verification_token(user)
    assert accounts.verify_email(token).email_verified
    with pytest.raises(tokens.TokenInvalid) as reused:
        accounts.verify_email(token)
    assert reused.value.reason == "used" and reused.value.status_code == 400
    assert db.session.scalar(select(func.count()).select_from(UsedToken)) == 1


@pytest.mark.backends("sqlite")
def test_expired_and_tampered_tokens_are_refused(app):
    user = sign_up()
    token = verification_token(user)
    app.config["EMAIL_TOKEN_MAX_AGE"] = -1
    with pytest.raises(tokens.TokenInvalid) as expired:
        accounts.verify_email(token)
    assert expired.value.reason == "expired"
    app.config["EMAIL_TOKEN_MAX_AGE"] = 3600
    tampered = token[:-3] + ("AAA" if token[-3:] != "AAA" else "BBB")
    with pytest.raises(tokens.TokenInvalid) as bad:
        accounts.verify_email(tampered)
    assert bad.value.reason == "invalid"
    assert not db.session.get(User, user.id).email_verified


@pytest.mark.backends("sqlite")
def test_a_token_for_one_purpose_does_not_work_for_another(app):
    user = sign_up()
    with pytest.raises(tokens.TokenInvalid):
        accounts.check_reset_token(verification_token(user))


def test_spending_a_token_twice_in_a_race_fails_on_the_primary_key(app):
    user = sign_up()
    payload = tokens.read_token(tokens.VERIFY_EMAIL, verification_token(user), 3600)
    tokens.spend_token(payload, tokens.VERIFY_EMAIL)
    db.session.commit()
    with pytest.raises(tokens.TokenInvalid) as second:
        tokens.spend_token(payload, tokens.VERIFY_EMAIL)
    assert second.value.reason == "used"


@pytest.mark.backends("sqlite")
def test_reset_link_dies_once_the_password_changed(app):
    user = sign_up()
    token = tokens.make_token(tokens.RESET_PASSWORD, user.id, pw=tokens.password_fingerprint(user.password_hash))
    accounts.change_password(user, GOOD_PASSWORD, "a different long passphrase")
    with pytest.raises(tokens.TokenInvalid):
        accounts.reset_password(token, "yet another long passphrase")


@pytest.mark.backends("sqlite")
def test_verification_link_for_an_old_address_proves_nothing(app):
    user = sign_up()
    token = verification_token(user)
    user.email, user.email_normalized = "new@example.com", "new@example.com"
    db.session.commit()
    with pytest.raises(tokens.TokenInvalid):
        accounts.verify_email(token)


# --- sign-in -------------------------------------------------------------------------------------


@pytest.mark.backends("sqlite")
@pytest.mark.parametrize(
    "change, error, words",
    [
        ({"is_banned": True}, accounts.AccountBlocked, "banned"),
        ({"suspended_until": utcnow() + timedelta(days=2), "suspension_reason": "Spam"}, accounts.AccountBlocked, "suspended"),
        ({"deleted_at": utcnow()}, ValidationFailed, "incorrect"),
    ],
)
def test_blocked_accounts_cannot_sign_in(app, make_user, change, error, words):
    user = make_user(email="blocked@example.com")
    for key, value in change.items():
        setattr(user, key, value)
    db.session.commit()
    with pytest.raises(error) as refused:
        accounts.authenticate("blocked@example.com", DEFAULT_PASSWORD)
    assert words in refused.value.message


@pytest.mark.backends("sqlite")
def test_expired_suspension_no_longer_blocks(app, make_user):
    user = make_user(email="back@example.com")
    user.suspended_until = utcnow() - timedelta(minutes=1)
    db.session.commit()
    assert accounts.authenticate("BACK@example.com", DEFAULT_PASSWORD).id == user.id


def test_wrong_password_and_unknown_email_say_the_same(app, make_user):
    make_user(email="known@example.com")
    with pytest.raises(ValidationFailed) as wrong:
        accounts.authenticate("known@example.com", "not the password")
    with pytest.raises(ValidationFailed) as unknown:
        accounts.authenticate("nobody\x00@example.com", "whatever")
    assert wrong.value.message == unknown.value.message == accounts.WRONG_CREDENTIALS


# --- deletion and profiles -----------------------------------------------------------------------


def test_delete_account_anonymises_and_keeps_threads_and_posts(app, make_user, make_thread, make_post):
    user = make_user(display_name="Grace Hopper")
    thread = make_thread(author=user, title="Compilers")
    reply = make_post(thread=thread, author=user)
    old_session = user.get_id()
    accounts.delete_account(user, DEFAULT_PASSWORD)
    db.session.expire_all()
    gone = db.session.get(User, user.id)
    assert (gone.display_name, gone.username, gone.email) == ("Former member", f"deleted-{user.id}", f"deleted-{user.id}@invalid")
    assert gone.password_hash is None and gone.deleted_at is not None
    assert db.session.get(Thread, thread.id).author_id == user.id
    assert db.session.get(Post, reply.id).author_id == user.id
    assert reader.load_user_from_session(old_session) is None


@pytest.mark.backends("sqlite")
def test_delete_account_needs_the_password(app, make_user):
    user = make_user()
    with pytest.raises(ValidationFailed):
        accounts.delete_account(user, "wrong password")
    assert db.session.get(User, user.id).deleted_at is None
