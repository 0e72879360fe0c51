"""Admin webhook pages: only admins, register with clear errors, secret once, test, redeliver, audit."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from community.extensions import db
from community.models import AuditEntry, DeliveryState, Role, WebhookDelivery, WebhookEndpoint
from community.webhooks import delivery as webhooks

PAGES = ["/admin/webhooks", "/admin/webhooks/new", "/admin/webhooks/{id}", "/admin/webhooks/{id}/edit"]
ACTIONS = ["enable", "disable", "delete", "test", "rotate-secret", "deliveries/{delivery}/redeliver"]


@pytest.fixture
def endpoint_with_delivery(make_endpoint, sender):
    endpoint = make_endpoint()
    webhooks.emit("sla.breached", {"thread": {"id": 1}})
    delivery = db.session.scalars(select(WebhookDelivery)).one()
    return endpoint, delivery


@pytest.mark.parametrize("role", [None, Role.customer, Role.staff, Role.moderator, Role.marketer])
def test_only_admins_reach_webhook_pages_and_actions(client, auth, make_user, role, endpoint_with_delivery):
    endpoint, delivery = endpoint_with_delivery
    if role is not None:
        auth.sign_in(make_user(role=role))
    expected = 403 if role else 302
    for path in PAGES:
        assert client.get(path.format(id=endpoint.id)).status_code == expected, path
    for action in ACTIONS:
        path = f"/admin/webhooks/{endpoint.id}/" + action.format(delivery=delivery.id)
        assert client.post(path).status_code == expected, path
    assert client.post("/admin/webhooks/new", data={"url": "https://x.example/h", "events": ["sla.breached"]}).status_code == expected
    db.session.expire_all()
    assert db.session.get(WebhookEndpoint, endpoint.id).enabled
    assert db.session.scalar(select(WebhookEndpoint).where(WebhookEndpoint.url == "https://x.example/h")) is None


@pytest.fixture
def admin(auth, make_user):
    user = make_user(role=Role.admin)
    auth.sign_in(user)
    return user


def test_register_shows_the_secret_once_and_audits(client, admin):
    response = client.post("/admin/webhooks/new", data={
        "url": "https://crm.example.com/parley", "description": "CRM", "events": ["thread.created", "thread.solved"],
    })
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    endpoint = db.session.scalars(select(WebhookEndpoint)).one()
    assert endpoint.events == ["thread.created", "thread.solved"] and endpoint.created_by_id == admin.id
    assert endpoint.secret.startswith("whsec_") and endpoint.secret in response.get_data(as_text=True)
    assert endpoint.secret not in client.get(f"/admin/webhooks/{endpoint.id}").get_data(as_text=True)
    assert db.session.scalars(select(AuditEntry.action)).all() == ["webhook.create"]


@pytest.mark.parametrize("form, field, message", [
    ({"url": "ftp://crm.example.com/x", "events": ["sla.breached"]}, "url", "Only http:// and https://"),
    ({"url": "", "events": ["sla.breached"]}, "url", "Enter the URL"),
    ({"url": "https://user:pw@crm.example.com/", "events": ["sla.breached"]}, "url", "Leave user names"),
    ({"url": "https://crm.example.com/hook"}, "events", "Choose at least one event"),
    ({"url": "https://crm.example.com/hook", "events": ["thread.exploded"]}, "events", "Unknown event"),
])
def test_bad_input_is_explained_and_kept(client, admin, form, field, message):
    response = client.post("/admin/webhooks/new", data=form)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in html
    if form["url"]:
        assert f'value="{form["url"]}"' in html
    assert db.session.scalars(select(WebhookEndpoint)).all() == []


@pytest.mark.parametrize("url, message", [
    ("http://127.0.0.1:9/hook", "127.0.0.1 is a private address"),
    ("http://[::1]/hook", "::1 is a private address"),
    ("https://10.1.2.3/hook", "10.1.2.3 is a private address"),
    ("http://localhost:8080/hook", "localhost is not allowed"),
])
def test_private_address_literals_are_refused_at_registration(app, client, admin, url, message):
    app.config["WEBHOOK_ALLOW_PRIVATE_ADDRESSES"] = False
    response = client.post("/admin/webhooks/new", data={"url": url, "events": ["sla.breached"]})
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert db.session.scalars(select(WebhookEndpoint)).all() == []
    app.config["WEBHOOK_ALLOW_PRIVATE_ADDRESSES"] = True
    allowed = client.post("/admin/webhooks/new", data={"url": url, "events": ["sla.breached"]})
    assert allowed.status_code == 200 and len(db.session.scalars(select(WebhookEndpoint)).all()) == 1


def test_edit_keeps_input_on_error_and_saves(client, admin, make_endpoint):
    endpoint = make_endpoint(events=["sla.breached"])
    bad = client.post(f"/admin/webhooks/{endpoint.id}/edit", data={"url": "javascript:alert(1)", "events": ["post.created"]})
    assert bad.status_code == 422 and "Only http:// and https://" in bad.get_data(as_text=True)
    good = client.post(f"/admin/webhooks/{endpoint.id}/edit", data={"url": "https://new.example/h", "events": ["post.created"]})
    assert good.status_code == 302
    db.session.expire_all()
    assert (endpoint.url, endpoint.events) == ("https://new.example/h", ["post.created"])


def test_test_event_goes_to_that_endpoint_and_shows_in_the_log(client, admin, make_endpoint, sender):
    endpoint = make_endpoint(events=["sla.breached"])
    assert client.post(f"/admin/webhooks/{endpoint.id}/test").status_code == 302
    assert sender.types() == ["webhook.test"]
    page = client.get(f"/admin/webhooks/{endpoint.id}").get_data(as_text=True)
    assert "webhook.test" in page and "delivered" in page


def test_redeliver_sends_the_same_event_id_again(client, admin, endpoint_with_delivery, sender):
    endpoint, delivery = endpoint_with_delivery
    assert client.post(f"/admin/webhooks/{endpoint.id}/deliveries/{delivery.id}/redeliver").status_code == 302
    assert len(sender.sent) == 2
    assert sender.sent[0]["headers"]["X-Parley-Event-Id"] == sender.sent[1]["headers"]["X-Parley-Event-Id"]
    assert "webhook.redeliver" in db.session.scalars(select(AuditEntry.action)).all()


def test_redeliver_of_another_endpoints_delivery_is_404(client, admin, endpoint_with_delivery, make_endpoint):
    _endpoint, delivery = endpoint_with_delivery
    other = make_endpoint(events=["post.created"])
    assert client.post(f"/admin/webhooks/{other.id}/deliveries/{delivery.id}/redeliver").status_code == 404


def test_switching_on_again_sends_what_waited(client, admin, make_endpoint, sender):
    endpoint = make_endpoint()
    sender.statuses = [500]
    webhooks.emit("sla.breached", {})
    client.post(f"/admin/webhooks/{endpoint.id}/disable")
    db.session.query(WebhookDelivery).update({"next_attempt_at": WebhookDelivery.created_at})
    db.session.commit()
    assert webhooks.retry_due() == 0  # off: nothing goes out
    client.post(f"/admin/webhooks/{endpoint.id}/enable")
    db.session.expire_all()
    assert db.session.scalars(select(WebhookDelivery.state)).all() == [DeliveryState.delivered]
    actions = db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions == ["webhook.disable", "webhook.enable"]


def test_rotate_and_delete(client, admin, make_endpoint):
    endpoint = make_endpoint()
    old = endpoint.secret
    response = client.post(f"/admin/webhooks/{endpoint.id}/rotate-secret")
    db.session.expire_all()
    assert endpoint.secret != old and endpoint.secret in response.get_data(as_text=True)
    assert client.post(f"/admin/webhooks/{endpoint.id}/delete").status_code == 302
    assert db.session.scalars(select(WebhookEndpoint)).all() == []


def test_index_lists_endpoints_with_counts(client, admin, endpoint_with_delivery):
    endpoint, _delivery = endpoint_with_delivery
    html = client.get("/admin/webhooks").get_data(as_text=True)
    assert endpoint.url in html and "delivered 1" in html
