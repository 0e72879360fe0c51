"""Similar questions (JSON and no-JS page), deflection events, purging and the insights page."""
from __future__ import annotations

from datetime import timedelta

import pytest

from community.extensions import db
from community.models import DeflectionEvent, Role, SearchEvent, ThreadState, Visibility, utcnow
from community.search import deflection as search_deflection

CID = "compose1234abcd"


def test_similar_json_lists_readable_threads_solved_first(client, make_thread, make_category, search_backend):
    open_one = make_thread(title="Printer offline after update", body="Same words")
    solved = make_thread(title="Printer offline after update", body="Same words")
    solved.state = ThreadState.solved
    db.session.commit()
    make_thread(title="Printer offline secret", category=make_category(visibility=Visibility.staff))
    for n in range(6):
        make_thread(title=f"Printer offline variant {n}")
    data = client.get("/search/similar", query_string={"title": "Printer offline after update"}).get_json()
    ids = [row["id"] for row in data["results"]]
    assert len(ids) == 5
    assert ids[:2] == [solved.id, open_one.id]
    assert all("secret" not in row["title"] for row in data["results"])
    assert data["results"][0]["url"].startswith(f"/t/{solved.id}")


def test_similar_with_compose_id_records_shown_and_opened(client, make_thread, search_backend):
    thread = make_thread(title="Battery swelling on laptop")
    data = client.get("/search/similar", query_string={"title": "laptop battery swelling", "cid": CID}).get_json()
    assert data["results"][0]["url"] == f"/search/similar/open?t={thread.id}&cid={CID}"
    response = client.get(data["results"][0]["url"])
    assert response.status_code == 302 and response.headers["Location"].startswith(f"/t/{thread.id}")
    kinds = [(e.kind, e.compose_id, e.thread_id) for e in db.session.query(DeflectionEvent).order_by(DeflectionEvent.id)]
    assert kinds == [("shown", CID, None), ("opened", CID, thread.id)]


def test_too_short_or_empty_input_gives_no_suggestions(client, make_thread, search_backend):
    make_thread(title="Anything at all")
    assert client.get("/search/similar?title=a").get_json() == {"results": []}
    assert client.get("/search/similar").get_json() == {"results": []}
    assert client.get("/search/similar", query_string={"title": '"(( AND -*\x00'}).status_code == 200


def test_no_js_fallback_page_lists_similar_and_links_to_the_composer(client, make_thread, search_backend):
    thread = make_thread(title="Wifi drops every hour")
    html = client.get("/search/similar/page", query_string={"title": "wifi drops hourly", "body": "help"}).get_data(as_text=True)
    assert f"/t/{thread.id}-" in html
    assert 'href="/new?title=wifi+drops+hourly&amp;body=help"' in html


def test_deflection_outcomes_are_validated(client, search_backend):
    assert client.post("/search/deflection", data={"kind": "posted", "cid": CID}).status_code == 204
    response = client.post("/search/deflection", data={"kind": "hacked", "cid": "x"})
    assert response.status_code == 422
    assert set(response.get_json()["error"]["fields"]) == {"kind", "compose_id"}
    assert [e.kind for e in db.session.query(DeflectionEvent)] == ["posted"]


def test_purge_forgets_identities_after_30_days_and_closes_abandoned_composes(make_user, search_backend):
    user = make_user()
    old, recent = utcnow() - timedelta(days=31), utcnow() - timedelta(days=2)
    db.session.add_all([
        SearchEvent(kind="search", query="old", user_id=user.id, created_at=old),
        SearchEvent(kind="search", query="new", user_id=user.id, created_at=recent),
        DeflectionEvent(kind="opened", compose_id="left-after-open", user_id=user.id, created_at=recent),
        DeflectionEvent(kind="opened", compose_id="posted-anyway", created_at=recent),
        DeflectionEvent(kind="posted", compose_id="posted-anyway", created_at=recent),
    ])
    db.session.commit()
    search_deflection.purge_old_events()
    identities = {e.query: e.user_id for e in db.session.query(SearchEvent)}
    assert identities == {"old": None, "new": user.id}
    abandoned = [e.compose_id for e in db.session.query(DeflectionEvent).filter_by(kind="abandoned")]
    assert abandoned == ["left-after-open"]
    search_deflection.purge_old_events()
    assert db.session.query(DeflectionEvent).filter_by(kind="abandoned").count() == 1


@pytest.mark.parametrize("role,status", [(None, 403), (Role.customer, 403), (Role.staff, 200), (Role.admin, 200)])
def test_insights_page_is_for_staff(client, auth, make_user, role, status, search_backend):
    if role is not None:
        auth.sign_in(make_user(role=role))
    assert client.get("/search/insights").status_code == status


def test_insights_show_top_and_zero_queries_and_abandon_rate(client, auth, make_user, make_thread, search_backend):
    make_thread(title="Modem lights blinking")
    for q in ("modem", "Modem ", "modem", "nothingmatches"):
        client.get("/search", query_string={"q": q})
    now = utcnow()
    db.session.add_all([
        DeflectionEvent(kind="shown", compose_id="one-session", created_at=now),
        DeflectionEvent(kind="shown", compose_id="two-session", created_at=now),
        DeflectionEvent(kind="abandoned", compose_id="one-session", created_at=now),
    ])
    db.session.commit()
    auth.sign_in(make_user(role=Role.staff))
    html = client.get("/search/insights").get_data(as_text=True)
    top = html.split('class="top-queries"')[1].split("</table>")[0]
    zero = html.split('class="zero-queries"')[1].split("</table>")[0]
    assert "<td>modem</td><td>3</td>" in top
    assert "<td>nothingmatches</td><td>1</td>" in zero and "modem" not in zero
    assert '<strong class="abandon-rate">50%</strong>' in html
