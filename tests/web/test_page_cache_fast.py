"""The WSGI fast path for anonymous page-cache hits (page_cache/anonymous.py, AnonymousPageFastPath).

A hit from a visitor without a session or remember-me cookie is answered before Flask: a
before_request hook counting its calls tells the fast path from the Flask path.
"""
from __future__ import annotations

import pytest

from community.services import posts

PER_REQUEST = ("X-Request-ID", "Date")


@pytest.fixture
def flask_requests(app):
    """Count requests that reach Flask's request handling."""
    calls = []
    app.before_request_funcs.setdefault(None, []).insert(0, lambda: calls.append(1))
    return calls


@pytest.fixture
def thread(make_thread, make_category):
    return make_thread(category=make_category(name="Billing"), title="Invoice totals are wrong", body="First words")


def _path(thread) -> str:
    return f"/t/{thread.id}-{thread.slug}"


def _fixed_headers(response) -> dict[str, str]:
    return {name: value for name, value in response.headers.items() if name not in PER_REQUEST}


@pytest.mark.parametrize("path", ["thread", "/", "/search?q=invoice"])
def test_hit_skips_flask_with_the_flask_paths_headers_and_body(app, client, thread, flask_requests, path):
    path = _path(thread) if path == "thread" else path
    assert client.get(path).headers["X-Page-Cache"] == "miss"
    fast = client.get(path)
    assert len(flask_requests) == 1 and fast.headers["X-Page-Cache"] == "hit"
    # An anonymous session cookie (no user, no flash) takes the Flask path to the same cached page.
    with client.session_transaction() as session:
        session["seen_banner"] = True
    slow = client.get(path)
    assert len(flask_requests) == 2 and slow.headers["X-Page-Cache"] == "hit"
    assert _fixed_headers(fast) == _fixed_headers(slow) and fast.get_data() == slow.get_data()
    assert fast.headers["X-Request-ID"] and fast.headers["X-Request-ID"] != slow.headers["X-Request-ID"]


def test_a_proxys_request_id_is_echoed_like_the_flask_path(client, thread, flask_requests):
    client.get(_path(thread))
    assert client.get(_path(thread), headers={"X-Request-ID": "abc-12345678"}).headers["X-Request-ID"] == "abc-12345678"
    assert client.get(_path(thread), headers={"X-Request-ID": "<script>x</script>"}).headers["X-Request-ID"] != "<script>x</script>"
    assert len(flask_requests) == 1


def test_head_gets_the_headers_without_the_body(client, thread, flask_requests):
    page = client.get(_path(thread))
    head = client.head(_path(thread))
    assert len(flask_requests) == 1 and head.status_code == 200 and head.get_data() == b""
    assert head.headers["Content-Length"] == page.headers["Content-Length"]


def test_cookie_holders_and_other_requests_go_to_flask(app, client, thread, flask_requests):
    client.get(_path(thread))
    client.set_cookie("remember_token", "1|abc")
    client.get(_path(thread))
    client.delete_cookie("remember_token")
    client.post(_path(thread))
    client.get("/search/insights")
    client.get(_path(thread) + "?" + "x" * 3000)
    assert len(flask_requests) == 5
    app.config["PAGE_CACHE_ENABLED"] = False
    assert "X-Page-Cache" not in client.get(_path(thread)).headers and len(flask_requests) == 6


def test_signed_in_reader_is_never_served_the_anonymous_copy(client, auth, make_user, thread, flask_requests):
    client.get(_path(thread))
    auth.sign_in(make_user())
    response = client.get(_path(thread))
    assert "X-Page-Cache" not in response.headers and "csrf_token" in response.get_data(as_text=True)


def test_invalidation_still_applies(client, make_user, thread, flask_requests):
    client.get(_path(thread))
    client.get(_path(thread))
    posts.create_reply(make_user(), thread.id, "A reply that fixes the invoice")
    response = client.get(_path(thread))
    assert response.headers["X-Page-Cache"] == "miss" and "A reply that fixes the invoice" in response.get_data(as_text=True)
    assert len(flask_requests) == 2


class TestBehindAProxy:
    @pytest.fixture
    def app_overrides(self):
        return {"PROXY_FIX_HOPS": 1}

    def test_the_key_uses_the_host_flask_sees(self, client, thread, flask_requests):
        forwarded = {"X-Forwarded-Host": "community.example", "X-Forwarded-Proto": "https"}
        client.get(_path(thread), headers=forwarded)
        assert client.get(_path(thread), headers=forwarded).headers["X-Page-Cache"] == "hit"
        assert len(flask_requests) == 1
        assert client.get(_path(thread)).headers["X-Page-Cache"] == "miss"  # another host: another page
