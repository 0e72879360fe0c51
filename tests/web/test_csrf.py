"""Every state-changing route refuses a request without a CSRF token, and changes nothing."""
import pytest
from werkzeug.routing.converters import NumberConverter
from sqlalchemy import func, select

from community.extensions import db
from community.models import Base

pytestmark = pytest.mark.backends("sqlite")

# Routes that are deliberately callable without a session token. Each entry needs a
# comment saying what protects it instead.
CSRF_EXEMPT_ENDPOINTS: set[str] = {
    # RFC 8058 one-click unsubscribe: mail clients POST with no session; the signed per-user token
    # in the URL is the authority (tests/web/test_notifications.py).
    "notifications.unsubscribe_confirmed",
    # Widget analytics beacons from brand sites: no session is read or written on /embed/ routes,
    # the Origin must be on the widget's list, and all a request can do is add one to a counter
    # (tests/widgets/test_embed_routes.py).
    "embed.widget_event",
    # JSON API writes (/api/v1): they authenticate only by an `Authorization: Bearer` token and never
    # read the session cookie, so a forged cross-site request carries no credentials
    # (tests/api/test_tokens.py::test_session_cookie_is_not_accepted).
    "api.thread_create",
    "api.reply_create",
    "api.post_edit",
    "api.post_hide",
    "api.case_assign",
    # OpenID Connect back-channel logout: the identity provider POSTs server to server with no
    # session; the logout token, signed by the provider's key and checked like an ID token, is the
    # authority (tests/identity/test_logout.py).
    "identity.backchannel_logout",
}


def _row_counts() -> dict[str, int]:
    return {table.name: db.session.scalar(select(func.count()).select_from(table)) for table in Base.metadata.sorted_tables}


def _sample_url(rule) -> str:
    values = {}
    for argument in rule.arguments:
        values[argument] = 1 if isinstance(rule._converters[argument], NumberConverter) else "x"
    return rule.build(values, append_unknown=False)[1]


def test_every_post_route_requires_a_csrf_token(app, make_user, make_thread):
    staff = make_user(role="admin")
    make_thread(author=staff)
    app.config["WTF_CSRF_ENABLED"] = True
    client = app.test_client()
    from tests.conftest import AuthActions

    AuthActions(client).sign_in(staff)
    before = _row_counts()
    checked = []
    for rule in app.url_map.iter_rules():
        methods = rule.methods & {"POST", "PUT", "PATCH", "DELETE"}
        if not methods or rule.endpoint in CSRF_EXEMPT_ENDPOINTS or rule.endpoint == "static":
            continue
        url = _sample_url(rule)
        for method in methods:
            response = client.open(url, method=method, data={"title": "x", "body": "y"})
            # Flask-WTF checks the token before any view runs, so even a missing row answers 400.
            assert response.status_code == 400, f"{method} {rule.rule} answered {response.status_code}"
            checked.append(rule.rule)
    assert checked, "no state-changing route was found"
    assert _row_counts() == before
