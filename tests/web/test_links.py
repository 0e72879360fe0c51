"""Links built from per-request patterns (community/web/links.py) are exactly what url_for builds:
quoting, several arguments, a script root, and routes a pattern cannot serve."""
from __future__ import annotations

import pytest
from flask import url_for

from community.web.links import link, query_link

pytestmark = pytest.mark.backends("sqlite")

CASES = [
    ("forum.thread", {"thread_id": 5, "slug": "héllo wörld/ä?#%"}),
    ("people.profile", {"username": "a b%2F"}),
    ("tags.tag", {"name": "c++ & d"}),
    ("forum.category", {"slug": "x y"}),
    ("answers.solution", {"thread_id": 12}),
    ("forum.post_permalink", {"post_id": 3}),
]


@pytest.mark.parametrize("script_root", ["", "/community"])
@pytest.mark.parametrize("endpoint,values", CASES)
def test_a_pattern_link_equals_url_for(app, script_root, endpoint, values):
    with app.test_request_context("/", base_url=f"http://example.test{script_root}"):
        first, second = link(endpoint, **values), link(endpoint, **values)  # built, then from the pattern
        assert first == second == url_for(endpoint, **values)
        assert first.startswith(f"{script_root}/")


def test_routes_with_defaults_and_links_outside_a_request_use_url_for(app):
    with app.test_request_context("/"):
        assert link("forum.thread", thread_id=7) == url_for("forum.thread", thread_id=7) == "/t/7"
    app.config["SERVER_NAME"] = "example.test"
    with app.app_context():  # an email or a job: absolute URLs
        assert link("people.profile", username="dana") == "http://example.test/u/dana"


@pytest.mark.parametrize("query", [
    {}, {"q": "printer jams & more/less?", "page": 2}, {"q": "héllo", "tag": None, "state": "solved"},
    {"t": 5, "q": "a+b=c;d@e", "answer": 9},
])
def test_a_query_link_equals_url_for(app, query):
    with app.test_request_context("/", base_url="http://example.test/community"):
        for endpoint in ("search.search", "search.click"):
            assert query_link(endpoint, **query) == url_for(endpoint, **query)


TEMPLATE_CASES = [
    ("static", {"filename": "js/site.js"}),
    ("static", {"filename": "css/a b#.css"}),
    ("forum.thread", {"thread_id": 4, "slug": "printer-offline"}),
    ("forum.thread", {"thread_id": 4, "slug": None}),  # url_for drops None: the route without a slug
    ("forum.index", {}),
    ("search.search", {"q": "query args & more"}),  # not a path argument: url_for's query string
    ("forum.thread", {"thread_id": 4, "slug": "x", "_anchor": "post-9"}),
    ("forum.thread", {"thread_id": 4, "slug": "x", "_external": True}),
]


@pytest.mark.parametrize("script_root", ["", "/community"])
@pytest.mark.parametrize("endpoint,values", TEMPLATE_CASES)
def test_the_templates_url_for_equals_flasks(app, script_root, endpoint, values):
    with app.test_request_context("/", base_url=f"http://example.test{script_root}"):
        template_url_for = app.jinja_env.globals["url_for"]
        assert template_url_for is not url_for
        for _ in range(2):  # built, then from the kept pattern
            assert template_url_for(endpoint, **values) == url_for(endpoint, **values)


def test_patterns_are_kept_per_script_root(app):
    with app.test_request_context("/", base_url="http://example.test/one"):
        assert link("static", filename="x.css") == "/one/static/x.css"
    with app.test_request_context("/", base_url="http://example.test/two"):
        assert link("static", filename="x.css") == "/two/static/x.css"


def test_an_app_with_url_defaults_builds_every_link_with_url_for(app):
    app.url_default_functions.setdefault(None, []).append(
        lambda endpoint, values: values.setdefault("slug", "default") if endpoint == "forum.thread" else None)
    with app.test_request_context("/"):
        assert link("forum.thread", thread_id=3) == url_for("forum.thread", thread_id=3) == "/t/3-default"
