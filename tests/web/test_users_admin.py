"""User administration: list and search, role changes (admins), verified-customer flag (staff),
and the create-admin command."""
import pytest

from community.extensions import db
from community.models import Role, User
from community.services.passwords import verify_password


def fresh(user_id: int) -> User:
    db.session.expire_all()
    return db.session.get(User, user_id)


ROLE_MATRIX = [
    # actor role, may list users, may change roles, may set the verified-customer flag
    ("customer", 403, 403, 403),
    ("marketer", 403, 403, 403),
    ("staff", 200, 403, 302),
    ("moderator", 200, 403, 302),
    ("admin", 200, 302, 302),
]


@pytest.mark.backends("sqlite")
@pytest.mark.parametrize("role, list_status, role_status, flag_status", ROLE_MATRIX)
def test_permission_matrix(client, auth, make_user, role, list_status, role_status, flag_status):
    make_user(role="admin")
    target = make_user(display_name="Target Person")
    auth.sign_in(make_user(role=role))
    assert client.get("/admin/users/").status_code == list_status
    assert client.post(f"/admin/users/{target.id}/role", data={"role": "moderator"}).status_code == role_status
    assert client.post(f"/admin/users/{target.id}/verified-customer", data={"verified": "1"}).status_code == flag_status
    changed = fresh(target.id)
    assert (changed.role == Role.moderator) == (role_status == 302)
    assert changed.is_verified_customer == (flag_status == 302)


@pytest.mark.backends("sqlite")
def test_anonymous_visitors_are_sent_to_sign_in(client, make_user):
    target = make_user()
    assert "/sign-in" in client.get("/admin/users/").headers["Location"]
    assert client.post(f"/admin/users/{target.id}/role", data={"role": "admin"}).status_code == 302
    assert fresh(target.id).role == Role.customer


def test_admin_changes_a_role_and_returns_to_the_list(client, auth, make_user):
    auth.sign_in(make_user(role="admin"))
    target = make_user()
    response = client.post(f"/admin/users/{target.id}/role", data={"role": "staff", "return_to": "/admin/users/?q=x"})
    assert response.status_code == 302 and response.headers["Location"] == "/admin/users/?q=x"
    assert fresh(target.id).role == Role.staff


@pytest.mark.backends("sqlite")
def test_unknown_role_and_missing_user_are_refused(client, auth, make_user):
    auth.sign_in(make_user(role="admin"))
    target = make_user()
    assert client.post(f"/admin/users/{target.id}/role", data={"role": "emperor"}).status_code == 422
    assert client.post("/admin/users/99999/role", data={"role": "staff"}).status_code == 404
    assert fresh(target.id).role == Role.customer


@pytest.mark.backends("sqlite")
def test_the_last_admin_cannot_be_demoted(client, auth, make_user):
    admin = make_user(role="admin")
    auth.sign_in(admin)
    response = client.post(f"/admin/users/{admin.id}/role", data={"role": "customer"})
    assert response.status_code == 409 and "at least one admin" in response.get_data(as_text=True)
    assert fresh(admin.id).role == Role.admin


def test_staff_sets_and_unsets_the_verified_customer_flag(client, auth, make_user):
    auth.sign_in(make_user(role="staff"))
    target = make_user()
    client.post(f"/admin/users/{target.id}/verified-customer", data={"verified": "1"})
    assert fresh(target.id).is_verified_customer
    client.post(f"/admin/users/{target.id}/verified-customer", data={})
    assert not fresh(target.id).is_verified_customer


def test_user_list_searches_name_and_email_and_paginates(client, auth, make_user):
    auth.sign_in(make_user(role="admin", display_name="Boss"))
    make_user(display_name="Grace Hopper", email="grace@navy.example")
    make_user(display_name="Someone", email="ada_l@example.com")
    make_user(display_name="100% Real")
    by_name = client.get("/admin/users/?q=hopper").get_data(as_text=True)
    assert "Grace Hopper" in by_name and "Someone" not in by_name
    by_email = client.get("/admin/users/?q=ADA_L@").get_data(as_text=True)
    assert "Someone" in by_email and "Grace Hopper" not in by_email
    percent = client.get("/admin/users/?q=100%25").get_data(as_text=True)
    assert "100% Real" in percent and "Grace Hopper" not in percent
    for n in range(50):
        make_user(display_name=f"Filler {n}")
    first = client.get("/admin/users/").get_data(as_text=True)
    second = client.get("/admin/users/?page=2").get_data(as_text=True)
    assert "Page 1 of 2" in first and 'rel="next"' in first
    assert "Page 2 of 2" in second and "Boss" in second


@pytest.mark.backends("sqlite")
def test_admin_sees_role_selects_staff_sees_roles_as_text(client, auth, make_user):
    make_user(display_name="Target")
    auth.sign_in(make_user(role="admin"))
    assert '<select id="role-' in client.get("/admin/users/").get_data(as_text=True)
    auth.sign_in(make_user(role="staff"))
    html = client.get("/admin/users/").get_data(as_text=True)
    assert '<select id="role-' not in html and 'name="verified"' in html


# --- flask community create-admin ----------------------------------------------------------------


def test_create_admin_with_options_makes_a_verified_admin(app):
    result = app.test_cli_runner().invoke(
        args=["community", "create-admin", "Boss@Example.com", "--password", "very secret admin pass", "--name", "The Boss"]
    )
    assert result.exit_code == 0, result.output
    user = db.session.query(User).filter_by(email_normalized="boss@example.com").one()
    assert user.role == Role.admin and user.email_verified and user.username == "the-boss"
    assert verify_password(user.password_hash, "very secret admin pass")


@pytest.mark.backends("sqlite")
def test_create_admin_prompts_for_missing_values(app):
    result = app.test_cli_runner().invoke(
        args=["community", "create-admin", "boss@example.com"],
        input="Prompted Boss\nprompted secret phrase\nprompted secret phrase\n",
    )
    assert result.exit_code == 0, result.output
    assert db.session.query(User).filter_by(display_name="Prompted Boss").one().role == Role.admin


@pytest.mark.backends("sqlite")
def test_create_admin_promotes_an_existing_user(app, make_user):
    user = make_user(email="member@example.com", email_verified=False)
    result = app.test_cli_runner().invoke(args=["community", "create-admin", "MEMBER@example.com"])
    assert result.exit_code == 0 and "Promoted" in result.output
    promoted = fresh(user.id)
    assert promoted.role == Role.admin and promoted.email_verified


@pytest.mark.backends("sqlite")
@pytest.mark.parametrize("email, password, words", [("not-an-email", "long enough pass", "valid email"), ("a@example.com", "short", "at least")])
def test_create_admin_reports_bad_input(app, email, password, words):
    result = app.test_cli_runner().invoke(args=["community", "create-admin", email, "--password", password, "--name", "X Y"])
    assert result.exit_code != 0 and words in result.output
    assert db.session.query(User).count() == 0
