"""Security headers, cookie flags, `next` redirect safety and branded error pages."""
import json

import pytest
from flask import request

from community import create_app
from community.web.security import safe_next

pytestmark = pytest.mark.backends("sqlite")


def test_every_page_sends_the_security_headers(client):
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp.split("script-src", 1)[1].split(";")[0]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"


def test_error_pages_send_the_security_headers_too(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


def test_pages_have_no_inline_script(client):
    html = client.get("/").get_data(as_text=True)
    for chunk in html.split("<script")[1:]:
        assert "src=" in chunk.split(">", 1)[0], "inline <script> would be blocked by the CSP"


@pytest.mark.parametrize(
    "target, expected",
    [
        ("/t/1-hello", "/t/1-hello"),
        ("/c/billing?page=2", "/c/billing?page=2"),
        ("//evil.example", "/"),
        ("http://evil.example/", "/"),
        ("https://evil.example/x", "/"),
        ("/\\evil.example", "/"),
        ("javascript:alert(1)", "/"),
        ("", "/"),
        (None, "/"),
        ("/ok\r\nSet-Cookie: x=1", "/"),
    ],
)
def test_safe_next_allows_only_same_origin_paths(target, expected):
    assert safe_next(target) == expected


def test_session_cookie_flags_follow_the_base_url(tmp_path):
    plain = create_app({"INSTANCE_PATH": str(tmp_path / "a"), "BASE_URL": "http://127.0.0.1:5000"})
    secure = create_app({"INSTANCE_PATH": str(tmp_path / "b"), "BASE_URL": "https://help.example.com"})
    for app in (plain, secure):
        assert app.config["SESSION_COOKIE_HTTPONLY"] is True
        assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert plain.config["SESSION_COOKIE_SECURE"] is False
    assert secure.config["SESSION_COOKIE_SECURE"] is True
    assert secure.config["REMEMBER_COOKIE_SECURE"] is True


def test_404_is_a_branded_html_page(client):
    response = client.get("/definitely/not/here")
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    assert "Page not found" in html and "Parley Community" in html


def test_404_is_json_when_the_client_asks_for_json(client):
    response = client.get("/definitely/not/here", headers={"Accept": "application/json"})
    assert response.status_code == 404
    assert response.mimetype == "application/json"
    assert response.get_json()["error"]["status"] == 404


def test_405_lists_allowed_methods(client):
    response = client.delete("/healthz")
    assert response.status_code == 405
    assert "GET" in response.headers["Allow"]
    assert "Method not allowed" in response.get_data(as_text=True)


def test_413_for_an_oversized_body(app):
    @app.route("/_echo", methods=["POST"])
    def echo():
        return str(len(request.form))

    app.config["MAX_CONTENT_LENGTH"] = 1024
    response = app.test_client().post("/_echo", data={"display_name": "x" * 5000})
    assert response.status_code == 413
    assert "too large" in response.get_data(as_text=True)


def test_500_is_branded_and_hides_the_error(app):
    @app.route("/_boom")
    def boom():
        raise RuntimeError("secret internals")

    app.config["PROPAGATE_EXCEPTIONS"] = False
    client = app.test_client()
    response = client.get("/_boom")
    assert response.status_code == 500
    html = response.get_data(as_text=True)
    assert "Something went wrong" in html and "secret internals" not in html
    json_response = client.get("/_boom", headers={"Accept": "application/json"})
    assert json_response.status_code == 500
    assert json.loads(json_response.data)["error"]["status"] == 500


def test_csrf_missing_token_is_refused_with_400(app):
    app.config["WTF_CSRF_ENABLED"] = True
    response = app.test_client().post("/sign-out")
    assert response.status_code == 400
    assert "form expired" in response.get_data(as_text=True)


def test_healthz_and_readyz(client):
    assert client.get("/healthz").get_json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.get_json()["checks"] == {"database": "ok", "migrations": "ok", "redis": "not configured"}


def test_readyz_reports_503_when_the_database_is_unreachable(tmp_path):
    app = create_app({"INSTANCE_PATH": str(tmp_path), "DATABASE_URL": "postgresql+psycopg://nobody@127.0.0.1:1/none"})
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["checks"]["database"].startswith("error")


def test_every_response_carries_a_request_id(client):
    first = client.get("/healthz").headers["X-Request-ID"]
    second = client.get("/healthz").headers["X-Request-ID"]
    assert first != second and len(first) == 32
    kept = client.get("/healthz", headers={"X-Request-ID": "abcdef12-3456"}).headers["X-Request-ID"]
    assert kept == "abcdef12-3456"
    forged = client.get("/healthz", headers={"X-Request-ID": "<script>x</script>"}).headers["X-Request-ID"]
    assert forged != "<script>x</script>"


def test_json_logs_include_the_request_id(app, capsys):
    import logging

    from community.logs import JsonFormatter, RequestIdFilter

    record = logging.LogRecord("parley", logging.INFO, __file__, 1, "hello %s", ("world",), None)
    with app.test_request_context("/x"):
        from flask import g

        g.request_id = "req-12345678"
        RequestIdFilter().filter(record)
        line = json.loads(JsonFormatter().format(record))
    assert line["message"] == "hello world"
    assert line["request_id"] == "req-12345678"
    assert line["path"] == "/x"


def test_proxy_fix_trusts_forwarded_headers_only_when_configured(tmp_path):
    headers = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "help.example.com"}
    for hops, expected in ((0, "http://localhost/"), (1, "https://help.example.com/")):
        app = create_app({"INSTANCE_PATH": str(tmp_path / str(hops)), "PROXY_FIX_HOPS": hops})

        @app.route("/_whoami")
        def whoami():
            return request.host_url

        assert app.test_client().get("/_whoami", headers=headers).get_data(as_text=True) == expected


def test_favicon_ico_redirects_to_the_svg_icon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    assert response.headers["Location"].endswith("/static/favicon.svg")
    assert client.get(response.headers["Location"]).status_code == 200
