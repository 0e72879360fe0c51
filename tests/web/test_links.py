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
