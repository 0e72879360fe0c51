"""Email delivery: a real SMTP server when SMTP_HOST is set, the outbox folder otherwise."""
import pytest

from community.extensions import db
from community.models import User
from community.services import mail
from tests.mailbox import html_body, link_path, outbox, text_body

pytestmark = pytest.mark.backends("sqlite")


@pytest.fixture
def app_overrides(smtp_server):
    return {"SMTP_HOST": smtp_server.host, "SMTP_PORT": smtp_server.port, "MAIL_FROM": "help@parley.test"}


def test_send_email_delivers_branded_text_and_html_over_smtp(app, smtp_server, make_user):
    user = make_user(display_name="Ada Lovelace")
    mail.send_email("ada@example.com", "Hello", "verify_email", user=user, link="http://127.0.0.1:5000/x", hours=48)
    [message] = smtp_server.wait_for(1)
    assert message["To"] == "ada@example.com"
    assert message["From"] == "Parley Community <help@parley.test>"
    assert "Hi Ada Lovelace" in text_body(message)
    assert 'href="http://127.0.0.1:5000/x"' in html_body(message)
    assert outbox(app) == []


def test_without_smtp_host_the_message_lands_in_the_outbox(app, smtp_server, make_user):
    app.config["SMTP_HOST"] = None
    user = make_user()
    mail.send_email("someone@example.com", "Subject here", "reset_password", user=user, link="http://x/y", hours=1)
    [message] = outbox(app)
    assert message["Subject"] == "Subject here"
    assert "http://x/y" in text_body(message)
    assert smtp_server.messages == []


def test_links_use_the_branded_base_url(app):
    app.config["BASE_URL"] = "https://help.example.com/"
    assert mail.absolute_url("auth.reset_password", token="abc") == "https://help.example.com/password/reset/abc"


def test_verification_and_reset_emails_arrive_over_smtp_and_work(app, client, smtp_server):
    response = client.post(
        "/sign-up", data={"email": "grace@example.com", "display_name": "Grace", "password": "cobol compiler 1959"}
    )
    assert response.status_code == 302
    [verification] = smtp_server.wait_for(1)
    assert verification["To"] == "grace@example.com" and "Confirm your email" in verification["Subject"]
    path = link_path(verification)
    assert client.get(path).status_code == 200
    assert client.post(path).status_code == 302
    assert db.session.get(User, 1).email_verified

    client.post("/sign-out")
    assert client.post("/password/forgot", data={"email": "GRACE@example.com"}).status_code == 200
    messages = smtp_server.wait_for(2)
    assert len(messages) == 2 and "Reset your password" in messages[1]["Subject"]
    reset = link_path(messages[1])
    response = client.post(reset, data={"password": "a brand new passphrase", "confirm": "a brand new passphrase"})
    assert response.status_code == 302
    client.post("/sign-out")
    signed_in = client.post("/sign-in", data={"email": "grace@example.com", "password": "a brand new passphrase"})
    assert signed_in.status_code == 302
