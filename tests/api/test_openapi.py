"""The OpenAPI document covers every route, and real responses (successes and errors) match it."""
import pytest
from jsonschema import Draft202012Validator

from community.api import PREFIX

from .conftest import ApiClient, issue_token, make_bridge_case
from .test_scopes import ENDPOINTS, _fill

pytestmark = pytest.mark.backends("sqlite")


def _document(client) -> dict:
    response = client.get(f"{PREFIX}/openapi.json")
    assert response.status_code == 200 and response.json["openapi"].startswith("3.1")
    return response.json


def test_every_route_is_documented_and_nothing_else(app, client):
    documented = {(method.upper(), path) for path, item in _document(client)["paths"].items() for method in item}
    routed = {
        (method, rule.rule.removeprefix(PREFIX).replace("<int:", "{").replace(">", "}"))
        for rule in app.url_map.iter_rules() if rule.endpoint.startswith("api.")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert documented == routed


def test_every_documented_schema_is_valid_json_schema(app, client):
    document = _document(client)
    for name, schema in document["components"]["schemas"].items():
        Draft202012Validator.check_schema(schema)
    assert document["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"


def _template(document: dict, path: str) -> str:
    """/threads/5/posts → /threads/{thread_id}/posts, by matching the document's paths."""
    parts = path.split("?")[0].strip("/").split("/")
    for template in document["paths"]:
        pieces = template.strip("/").split("/")
        if len(pieces) == len(parts) and all(p == q or p.startswith("{") for p, q in zip(pieces, parts)):
            return template
    raise AssertionError(f"{path} is not in the document")


def _check(document: dict, method: str, path: str, response) -> None:
    operation = document["paths"][_template(document, path)][method.lower()]
    documented = operation["responses"].get(str(response.status_code))
    assert documented, f"{method} {path} answered {response.status_code}, which is not documented"
    schema = documented["content"]["application/json"]["schema"]
    validator = Draft202012Validator({"allOf": [schema], "components": document["components"]})
    problems = [error.message for error in validator.iter_errors(response.json)]
    assert not problems, f"{method} {path} {response.status_code}: {problems[:3]}"


def test_real_responses_match_the_document(app, client, make_user, make_thread, make_post):
    document = _document(client)
    admin, customer = make_user(role="admin"), make_user()
    thread = make_thread(author=admin)
    reply = make_post(thread=thread, author=customer)
    case = make_bridge_case()
    ids = {"t": thread.id, "p": reply.id, "c": thread.category_id, "u": admin.id, "b": case.id}
    as_admin = ApiClient(client, issue_token(admin, ("admin",)))
    checked = 0
    for method, path, body, _scope, ok in ENDPOINTS:
        concrete = _fill(path, ids)
        response = as_admin.open(method, concrete, json=_fill(body, ids))
        assert response.status_code == ok
        _check(document, method, concrete, response)
        checked += 1
    as_customer = ApiClient(client, issue_token(customer, ("read", "write")))
    failures = [
        (as_customer, "GET", "/users", None, 403), (as_customer, "GET", "/threads/999999", None, 404),
        (as_customer, "GET", "/threads?limit=0", None, 400), (as_customer, "POST", "/threads", {"title": 1}, 422),
        (as_customer, "POST", f"/threads/{thread.id}/posts", {"body": " "}, 422),
        (as_customer, "POST", f"/posts/{reply.id}/hide", {}, 403), (ApiClient(client, None), "GET", "/me", None, 401),
        (as_admin, "POST", f"/bridge/cases/{case.id}/assign", {"assignee_id": None, "version": 1}, 409),
        (as_admin, "GET", "/search", None, 400),
    ]
    for api, method, path, body, status in failures:
        response = api.open(method, path, json=body)
        assert response.status_code == status, (method, path, response.json)
        _check(document, method, path, response)
        checked += 1
    assert checked == len(ENDPOINTS) + len(failures)
