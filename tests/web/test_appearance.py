"""The member's colour scheme: saved from the settings page, put on <html>, refused when unknown."""
from community.extensions import db


def test_a_member_picks_dark_then_back_to_automatic(client, auth, make_user):
    member = make_user()
    auth.sign_in(member)
    assert "data-theme" not in client.get("/").get_data(as_text=True)
    response = client.post("/settings/appearance", data={"color_scheme": "dark"})
    assert response.status_code == 302
    assert '<html lang="en" data-theme="dark">' in client.get("/").get_data(as_text=True)
    client.post("/settings/appearance", data={"color_scheme": "auto"})
    db.session.refresh(member)
    assert member.color_scheme == "auto"


def test_an_unknown_scheme_is_refused_with_a_message(client, auth, make_user):
    member = make_user()
    auth.sign_in(member)
    response = client.post("/settings/appearance", data={"color_scheme": "purple"})
    assert response.status_code == 422
    assert "Choose automatic, light or dark." in response.get_data(as_text=True)
    db.session.refresh(member)
    assert member.color_scheme == "auto"


def test_signed_out_visitors_are_sent_to_sign_in(client):
    response = client.post("/settings/appearance", data={"color_scheme": "dark"})
    assert response.status_code in (302, 401) and "/sign-in" in response.headers.get("Location", "/sign-in")
