"""The widget JSON fast path (widgets/embed_fast.py) answers warm requests exactly as the route would.

To tell the two apart, the Flask view is swapped for one that counts its calls once the cache is
warm: a request the fast path answers never reaches it.
"""
from __future__ import annotations

import uuid

import pytest

from community.extensions import db
from community.widgets import cache as widget_cache

from .helpers import BRAND, make_widget

ALLOWED = {"Origin": BRAND}


@pytest.fixture
def route_calls(app):
    """Count calls that reach the Flask view for the widget JSON."""
    calls = []
    view = app.view_functions["embed.widget_data"]

    def counted(*args, **kwargs):
        calls.append(kwargs)
        return view(*args, **kwargs)

    app.view_functions["embed.widget_data"] = counted
    return calls


def _get(client, widget, headers=ALLOWED):
    return client.get(f"/embed/w/{widget.id}.json", headers=headers)


def test_warm_request_skips_flask_with_the_same_answer(client, make_thread, route_calls):
    make_thread(title="How do I reset my router?")
    widget = make_widget("latest")
    cold = _get(client, widget)
    warm = _get(client, widget)
    assert len(route_calls) == 1
    assert warm.status_code == 200 and warm.get_data() == cold.get_data()
    for header in ("ETag", "Cache-Control", "Vary", "Access-Control-Allow-Origin", "Content-Security-Policy",
                   "X-Content-Type-Options", "X-Frame-Options", "Content-Type"):
        assert warm.headers[header] == cold.headers[header], header
    assert "Set-Cookie" not in warm.headers and warm.headers["X-Request-ID"]


def test_if_none_match_gets_304_from_the_fast_path(client, route_calls):
    widget = make_widget("latest")
    etag = _get(client, widget).headers["ETag"]
    again = _get(client, widget, {**ALLOWED, "If-None-Match": etag})
    assert again.status_code == 304 and again.get_data() == b"" and len(route_calls) == 1
    assert again.headers["Access-Control-Allow-Origin"] == BRAND and again.headers["ETag"] == etag


def test_refused_origin_and_bad_query_fall_through_to_the_route(client, route_calls):
    widget = make_widget("latest")
    _get(client, widget)
    refused = _get(client, widget, {"Origin": "https://evil.example"})
    assert refused.status_code == 403 and "Access-Control-Allow-Origin" not in refused.headers
    long = client.get(f"/embed/w/{widget.id}.json?x={'a' * 3000}", headers=ALLOWED)
    assert long.status_code == 400 and long.is_json
    assert len(route_calls) == 3


def test_new_content_and_disabling_are_seen_at_once(client, make_thread, route_calls):
    widget = make_widget("latest")
    _get(client, widget)
    make_thread(title="A brand new question")
    assert "A brand new question" in [item["title"] for item in _get(client, widget).json["items"]]
    widget.is_enabled = False
    db.session.commit()
    assert _get(client, widget).status_code == 404


class TestWithRedis:
    @pytest.fixture
    def app_overrides(self, redis_url):
        return {"REDIS_URL": redis_url, "JOB_QUEUE": "inline"}

    @pytest.fixture(autouse=True)
    def fresh_version(self, app):
        # Redis outlives the test database: start from a version no earlier test cached under.
        with app.app_context():
            widget_cache._redis().set(widget_cache.version_key(app), int(uuid.uuid4().int % 10**12))

    def test_warm_request_skips_flask_and_sees_new_content(self, client, make_thread, route_calls):
        widget = make_widget("latest")
        cold = _get(client, widget)
        assert _get(client, widget).get_data() == cold.get_data() and len(route_calls) == 1
        make_thread(title="Seen through Redis")
        assert "Seen through Redis" in [item["title"] for item in _get(client, widget).json["items"]]
        assert len(route_calls) == 2


def test_a_proxys_request_id_is_echoed_like_the_route(client, route_calls):
    widget = make_widget("latest")
    _get(client, widget)
    warm = _get(client, widget, {**ALLOWED, "X-Request-ID": "abc-12345678"})
    assert len(route_calls) == 1 and warm.headers["X-Request-ID"] == "abc-12345678"
