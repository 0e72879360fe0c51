"""The public embed routes: CORS per allowed origin, caching, no cookies, no leaks, bad input."""
from __future__ import annotations

import json

import pytest

from community.models import Role, Visibility, utcnow
from community.extensions import db
from community.search.upkeep import rebuild_index

from .helpers import BRAND, make_widget, verify, world

ALLOWED = {"Origin": BRAND}


def data(client, widget, headers=ALLOWED, **kwargs):
    return client.get(f"/embed/w/{widget.id}.json", headers=headers, **kwargs)


def test_allowed_origin_gets_cors_etag_and_items(client, make_thread):
    widget = make_widget("latest")
    make_thread(title="How do I reset my router?")
    response = data(client, widget)
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == BRAND
    assert "Origin" in response.headers["Vary"]
    assert "Access-Control-Allow-Credentials" not in response.headers
    assert response.headers["ETag"] and "no-cache" in response.headers["Cache-Control"]
    assert [item["title"] for item in response.json["items"]] == ["How do I reset my router?"]
    assert response.json["items"][0]["url"].startswith("/t/")


def test_other_origin_is_refused_without_cors(client):
    widget = make_widget("latest")
    response = data(client, widget, headers={"Origin": "https://evil.example"})
    assert response.status_code == 403
    assert response.json["error"]["code"] == "origin_not_allowed"
    assert "Access-Control-Allow-Origin" not in response.headers
    assert "items" not in response.get_data(as_text=True)


def test_wildcard_subdomain_origin(client):
    widget = make_widget("latest", origins="https://*.brand.example")
    assert data(client, widget, headers={"Origin": "https://shop.brand.example"}).status_code == 200
    assert data(client, widget, headers={"Origin": "https://brand.example"}).status_code == 403
    assert data(client, widget, headers={"Origin": "http://shop.brand.example"}).status_code == 403


def test_preflight(client):
    widget = make_widget("latest")
    response = client.options(f"/embed/w/{widget.id}.json", headers={**ALLOWED, "Access-Control-Request-Method": "GET"})
    assert response.status_code == 204
    assert response.headers["Access-Control-Allow-Origin"] == BRAND
    refused = client.options(f"/embed/w/{widget.id}.json", headers={"Origin": "https://evil.example"})
    assert refused.status_code == 403 and "Access-Control-Allow-Origin" not in refused.headers


@pytest.mark.parametrize("path", ["/embed/w/999.json", "/embed/w/abc.json", "/embed/w/1x/search?q=a",
                                  "/embed/w/99999999999999.json"])
def test_unknown_widget_is_json_404(client, path):
    response = client.get(path, headers=ALLOWED)
    assert response.status_code == 404
    assert response.json["error"]["status"] == 404


def test_disabled_widget_is_404(client):
    widget = make_widget("latest", enabled=False)
    assert data(client, widget).status_code == 404
    assert client.get(f"/embed/w/{widget.id}/frame").status_code == 404


def test_huge_or_malformed_query_strings_are_400(client):
    widget = make_widget("search")
    assert client.get(f"/embed/w/{widget.id}.json?x={'a' * 3000}", headers=ALLOWED).status_code == 400
    long_q = client.get(f"/embed/w/{widget.id}/search?q={'a' * 201}", headers=ALLOWED)
    assert long_q.status_code == 400 and long_q.json["error"]["status"] == 400
    odd = client.get(f"/embed/w/{widget.id}/search?q=%ff%fe%22(", headers=ALLOWED)
    assert odd.status_code in (200, 400) and odd.is_json


def test_conditional_get_and_invalidation_on_new_content(client, make_thread):
    widget = make_widget("latest")
    first = data(client, widget)
    etag = first.headers["ETag"]
    again = data(client, widget, headers={**ALLOWED, "If-None-Match": etag})
    assert again.status_code == 304 and again.headers["Access-Control-Allow-Origin"] == BRAND
    make_thread(title="A brand new question")
    changed = data(client, widget, headers={**ALLOWED, "If-None-Match": etag})
    assert changed.status_code == 200
    assert "A brand new question" in [item["title"] for item in changed.json["items"]]


def test_no_cookies_even_for_signed_in_staff(client, auth, make_user):
    auth.sign_in(make_user(role=Role.admin))
    widget = make_widget("latest")
    for response in (data(client, widget), client.get(f"/embed/w/{widget.id}/frame"), client.get("/embed.js"),
                     client.post(f"/embed/w/{widget.id}/event", data='{"kind":"impression"}', headers=ALLOWED)):
        assert response.status_code in (200, 204)
        assert "Set-Cookie" not in response.headers
        assert "Cookie" not in response.headers.get("Vary", "")


@pytest.mark.parametrize("kind", ["solved", "latest", "search", "stats"])
def test_widgets_never_show_non_public_content_even_to_staff(client, auth, make_user, kind):
    public, threads = world()
    rebuild_index()
    auth.sign_in(make_user(role=Role.admin))
    widget = make_widget(kind)
    if kind == "search":
        response = client.get(f"/embed/w/{widget.id}/search?q=router", headers=ALLOWED)
    else:
        response = data(client, widget)
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert "Secret" not in text
    if kind == "stats":
        assert response.json["stats"]["questions"] == 1
    else:
        assert [item["title"] for item in response.json["items"]] == ["Public router question"]


def test_solved_widget_lists_only_verified_threads_by_category_and_tag(client, make_category, make_thread):
    from community.models import Tag

    kept, other = make_category(), make_category()
    unsolved = make_thread(category=kept, title="Unsolved one")
    solved = make_thread(category=kept, title="Solved one")
    elsewhere = make_thread(category=other, title="Solved elsewhere")
    for thread in (solved, elsewhere):
        verify(thread)
    solved.tags.append(Tag(name="wifi"))
    db.session.commit()
    assert [i["title"] for i in data(client, make_widget("solved", categories=[kept])).json["items"]] == ["Solved one"]
    tagged = data(client, make_widget("solved", tag="wifi")).json["items"]
    assert [i["title"] for i in tagged] == ["Solved one"] and tagged[0]["verified"] is True
    assert unsolved.title not in json.dumps(data(client, make_widget("solved")).json)


def test_category_made_private_empties_the_widget(client, make_category, make_thread):
    category = make_category()
    make_thread(category=category, title="Was public")
    widget = make_widget("latest", categories=[category])
    assert len(data(client, widget).json["items"]) == 1
    category.visibility = Visibility.staff
    db.session.commit()
    response = data(client, widget)
    assert response.status_code == 200 and response.json["items"] == []
    category.visibility, category.deleted_at = Visibility.public, utcnow()
    db.session.commit()
    assert data(client, widget).json["items"] == []


def test_search_widget_links_to_full_results(client, make_thread):
    make_thread(title="Printer offline after update")
    rebuild_index()
    widget = make_widget("search")
    found = client.get(f"/embed/w/{widget.id}/search?q=printer", headers=ALLOWED).json
    assert [i["title"] for i in found["items"]] == ["Printer offline after update"]
    assert found["more"].startswith("/search?q=printer")
    assert client.get(f"/embed/w/{make_widget('latest').id}/search?q=x", headers=ALLOWED).status_code == 404


def test_stats_widget_computes_answered_share_and_median(client, make_thread):
    from datetime import timedelta

    answered = make_thread(title="Answered")
    make_thread(title="Waiting")
    answered.first_reply_at = answered.created_at + timedelta(hours=2)
    db.session.commit()
    stats = data(client, make_widget("stats")).json["stats"]
    assert stats["answered_pct"] == 50
    assert stats["median_first_response"] == "2 h"
    assert stats["median_first_response_seconds"] == 7200


def test_labels_follow_the_language(client):
    assert data(client, make_widget("latest", language="de")).json["labels"]["latest"] == "Neueste Diskussionen"
    assert data(client, make_widget("latest", language="fr")).json["lang"] == "fr"


def test_events_count_per_origin_day_and_kind(client):
    from community.models import WidgetEventCount

    widget = make_widget("latest")
    url = f"/embed/w/{widget.id}/event"
    for body in ('{"kind":"impression"}', '{"kind":"impression"}', '{"kind":"click"}'):
        response = client.post(url, data=body, headers={**ALLOWED, "Content-Type": "text/plain"})
        assert response.status_code == 204 and response.headers["Access-Control-Allow-Origin"] == BRAND
    rows = {(r.origin, r.kind): r.count for r in db.session.query(WidgetEventCount).all()}
    assert rows == {(BRAND, "impression"): 2, (BRAND, "click"): 1}
    assert client.post(url, data='{"kind":"steal"}', headers=ALLOWED).status_code == 400
    assert client.post(url, data="not json", headers=ALLOWED).status_code == 400
    assert client.post(url, data='{"kind":"click"}', headers={"Origin": "https://evil.example"}).status_code == 403
    assert db.session.query(WidgetEventCount).count() == 2


def test_frame_may_be_framed_only_by_allowed_origins(client):
    widget = make_widget("latest", origins="https://brand.example\nhttps://shop.example:8443")
    frame = client.get(f"/embed/w/{widget.id}/frame")
    assert frame.status_code == 200
    csp = frame.headers["Content-Security-Policy"]
    assert "frame-ancestors 'self' https://brand.example https://shop.example:8443" in csp
    assert "X-Frame-Options" not in frame.headers
    for path in ("/", f"/embed/w/{widget.id}.json", "/search"):
        other = client.get(path)
        assert "frame-ancestors 'none'" in other.headers["Content-Security-Policy"]
        assert other.headers["X-Frame-Options"] == "DENY"


def test_embed_js_is_served_small(client):
    import gzip

    response = client.get("/embed.js")
    assert response.status_code == 200 and "javascript" in response.content_type
    assert len(gzip.compress(response.data)) <= 8 * 1024
    assert "innerHTML" not in response.get_data(as_text=True)
