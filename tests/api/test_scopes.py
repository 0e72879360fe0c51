"""The scope matrix: every API endpoint × every scope → the status it answers.

The actor is an admin, so the account's own permissions allow everything and only the token's
scopes decide. Scope checks run before any query, so one database backend is enough here; the
other tests cover both.
"""
import pytest

from .conftest import make_bridge_case

pytestmark = pytest.mark.backends("sqlite")

SCOPES = ("read", "write", "moderate", "admin")

# (method, path, JSON body, scope needed, status when allowed). {t} thread, {p} reply, {c} category,
# {u} user, {b} bridge case.
ENDPOINTS = [
    ("GET", "/me", None, "read", 200),
    ("GET", "/categories", None, "read", 200),
    ("GET", "/categories/{c}", None, "read", 200),
    ("GET", "/threads", None, "read", 200),
    ("POST", "/threads", {"category_id": "{c}", "title": "From the API", "body": "Hello"}, "write", 201),
    ("GET", "/threads/{t}", None, "read", 200),
    ("GET", "/threads/{t}/posts", None, "read", 200),
    ("POST", "/threads/{t}/posts", {"body": "A reply from the API"}, "write", 201),
    ("GET", "/posts/{p}", None, "read", 200),
    ("PATCH", "/posts/{p}", {"body": "Edited through the API"}, "write", 200),
    ("POST", "/posts/{p}/hide", {"hidden": True, "reason": "test"}, "moderate", 200),
    ("GET", "/users", None, "read", 200),
    ("GET", "/users/{u}", None, "read", 200),
    ("GET", "/search?q=thread", None, "read", 200),
    ("GET", "/bridge/cases", None, "read", 200),
    ("GET", "/bridge/cases/{b}", None, "read", 200),
    ("POST", "/bridge/cases/{b}/assign", {"assignee_id": "{u}", "version": 1}, "moderate", 200),
    ("GET", "/metrics", None, "read", 200),
    ("GET", "/openapi.json", None, None, 200),
]


def _fill(value, ids: dict):
    if isinstance(value, dict):
        return {key: _fill(item, ids) for key, item in value.items()}
    if isinstance(value, str) and value.startswith("{") and value.endswith("}"):
        return ids[value[1:-1]]
    return value.format(**ids) if isinstance(value, str) else value


def test_the_matrix_covers_every_api_route(app):
    from community.api import PREFIX

    routes = {
        (method, rule.rule.removeprefix(PREFIX).replace("<int:", "{").replace(">", "}"))
        for rule in app.url_map.iter_rules() if rule.endpoint.startswith("api.")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    names = {"category_id": "c", "thread_id": "t", "post_id": "p", "user_id": "u", "case_id": "b"}
    for long, short in names.items():
        routes = {(method, path.replace("{" + long + "}", "{" + short + "}")) for method, path in routes}
    covered = {(method, path.split("?")[0]) for method, path, *_ in ENDPOINTS}
    assert routes == covered


@pytest.mark.parametrize("scope", SCOPES)
def test_scope_matrix(app, api_as, make_user, make_thread, make_post, scope):
    """One row of the matrix per scope: {endpoint: status} as answered, against the expected row."""
    admin = make_user(role="admin")
    thread = make_thread(author=admin)
    reply = make_post(thread=thread, author=admin)
    ids = {"t": thread.id, "p": reply.id, "c": thread.category_id, "u": admin.id, "b": make_bridge_case().id}
    api = api_as(admin, (scope,))
    expected, answered = {}, {}
    for method, path, body, needed, ok in ENDPOINTS:
        allowed = needed is None or scope in (needed, "admin")
        response = api.open(method, _fill(path, ids), json=_fill(body, ids))
        expected[f"{method} {path}"] = ok if allowed else (403, "insufficient_scope")
        answered[f"{method} {path}"] = (
            response.status_code if response.status_code < 400 else (response.status_code, response.json["error"]["code"])
        )
    assert answered == expected
