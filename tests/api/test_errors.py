"""Every API failure is a JSON error object with the right status: never HTML, never a bare 500."""
import pytest

from community.services import forum

from .conftest import ApiClient, issue_token, make_bridge_case

ERROR_KEYS = {"status", "code", "message", "fields"}


def _error(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    error = response.json["error"]
    assert set(error) == ERROR_KEYS and error["status"] == status and error["message"]
    if code:
        assert error["code"] == code
    return error


def test_error_objects_for_each_status(app, client, make_user, make_thread):
    staff = make_user(role="staff")
    thread = make_thread(author=staff)
    api = ApiClient(client, issue_token(staff, ("read", "write", "moderate")))
    html = {"Accept": "text/html"}
    _error(api.get("/threads/999999", headers=html), 404, "not_found")
    _error(api.get("/no/such/route", headers=html), 404, "not_found")
    assert "GET" in _error_response_allow(api.open("DELETE", "/threads"))
    _error(api.post("/threads", data="title=x", headers=html), 415, "unsupported_media_type")
    _error(api.post("/threads", data="[1, 2]", content_type="application/json"), 400, "bad_request")
    _error(api.post("/threads", data="{broken", content_type="application/json"), 400, "bad_request")
    invalid = _error(api.post("/threads", json={"category_id": thread.category_id, "title": " ", "body": "x"}), 422,
                     "validation_failed")
    assert set(invalid["fields"]) == {"title"}
    wrong_type = _error(api.post("/threads", json={"category_id": "one", "title": "t", "body": "b"}), 422)
    assert set(wrong_type["fields"]) == {"category_id"}
    _error(api.post(f"/threads/{thread.id}/posts", json={"body": "\x00"}), 422)
    _error(api.patch("/posts/999999", json={"body": "x"}), 404)
    _error(ApiClient(client, None).get("/threads"), 401, "unauthorized")


def _error_response_allow(response) -> str:
    _error(response, 405, "method_not_allowed")
    return response.headers["Allow"]


def test_a_stale_case_version_is_a_409_conflict(app, client, make_user):
    staff = make_user(role="staff")
    case = make_bridge_case()
    api = ApiClient(client, issue_token(staff, ("read", "moderate")))
    assert api.post(f"/bridge/cases/{case.id}/assign", json={"assignee_id": staff.id, "version": 1}).status_code == 200
    conflict = _error(api.post(f"/bridge/cases/{case.id}/assign", json={"assignee_id": None, "version": 1}), 409, "conflict")
    assert "Someone else acted" in conflict["message"]
    _error(api.post(f"/bridge/cases/{case.id}/assign", json={"assignee_id": 999999, "version": 2}), 422)


def test_customers_get_403_for_staff_actions(app, client, make_user, make_thread):
    customer = make_user()
    reply_id = make_thread().last_post_id
    api = ApiClient(client, issue_token(customer, ("read", "write")))
    _error(api.patch(f"/posts/{reply_id}", json={"body": "not mine"}), 403, "forbidden")


@pytest.mark.backends("sqlite")
def test_an_unexpected_failure_is_a_json_500_that_is_logged(app, client, make_user, monkeypatch, caplog):
    def explode(*_args, **_kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(forum, "readable_categories", explode)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    app.testing = False
    error = _error(ApiClient(client, issue_token(make_user())).get("/categories"), 500, "internal_error")
    assert "boom" not in error["message"]
    assert any("unhandled API error" in record.message for record in caplog.records)
