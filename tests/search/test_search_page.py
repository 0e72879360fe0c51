"""The /search page: results, highlights, filters, sorting, paging, corrections, bad input."""
from __future__ import annotations

from datetime import timedelta

import pytest

from community.extensions import db
from community.models import Role, SearchEvent, ThreadState, Visibility, utcnow


def test_results_are_highlighted_and_html_safe(client, make_thread, search_backend):
    make_thread(title="<script>alert(1)</script> widget broken", body="The <b>widget</b> & gadget fail.")
    response = client.get("/search?q=widget")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<mark>widget</mark>" in html
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;" in html
    assert "1 result for" in html


def test_phrase_prefix_and_or(client, make_thread, search_backend):
    exact = make_thread(title="Reset the admin password", body="Steps inside.")
    make_thread(title="Password for the admin console reset", body="Other words.")
    other = make_thread(title="Bluetooth pairing fails", body="Headset.")
    assert _ids(client, '"reset the admin password"') == [exact.id]
    assert other.id in _ids(client, "blue*")
    assert set(_ids(client, "bluetooth OR reset")) >= {exact.id, other.id}


def test_filters_sort_and_paging(client, make_thread, make_category, search_backend):
    hardware = make_category(name="Hardware")
    old = make_thread(title="Fan noise old", category=hardware, created_at=utcnow() - timedelta(days=40))
    new = make_thread(title="Fan noise new")
    new.state = ThreadState.solved
    db.session.commit()
    assert _ids(client, "fan", category=hardware.id) == [old.id]
    assert _ids(client, "fan", state="solved") == [new.id]
    assert _ids(client, "fan", state="unsolved") == [old.id]
    assert _ids(client, "fan", sort="newest") == [new.id, old.id]
    since = (utcnow() - timedelta(days=10)).date().isoformat()
    assert _ids(client, "fan", **{"from": since}) == [new.id]
    assert _ids(client, "fan", verified="1") == []
    for n in range(23):
        make_thread(title=f"Paging topic {n}")
    first, second = _ids(client, "paging"), _ids(client, "paging", page=2)
    assert len(first) == 20 and len(second) == 3 and not set(first) & set(second)


def test_ranking_prefers_title_matches_then_solved(client, make_thread, search_backend):
    body_match = make_thread(title="Something else", body="kettle kettle descaling")
    title_match = make_thread(title="Kettle descaling", body="Unrelated words here.")
    assert _ids(client, "kettle")[0] == title_match.id
    twin_a = make_thread(title="Toaster crumbs tray", body="same")
    twin_b = make_thread(title="Toaster crumbs tray", body="same")
    twin_a.state = ThreadState.solved
    db.session.commit()
    assert _ids(client, "toaster")[:2] == [twin_a.id, twin_b.id]
    assert body_match.id in _ids(client, "kettle")


def test_a_typo_shows_the_corrected_results_and_ask_the_community(client, make_thread, search_backend):
    thread = make_thread(title="Thermostat schedule ignored")
    html = client.get("/search?q=thermostta").get_data(as_text=True)
    assert "Showing results for <strong>thermostat</strong>; search instead for" in html
    assert 'href="/search?q=thermostta&amp;exact=1">thermostta</a>' in html
    assert f"/search/click?t={thread.id}" in html and "1 result for “thermostat”" in html
    exact = client.get("/search?q=thermostta&exact=1").get_data(as_text=True)
    assert "Did you mean" in exact and ">thermostat</a>" in exact and f"t={thread.id}" not in exact
    html = client.get("/search?q=xylophone+tuning").get_data(as_text=True)
    assert "No threads match" in html
    assert 'href="/new?title=xylophone+tuning"' in html


def test_bad_filters_re_render_the_form_with_messages(client, search_backend):
    response = client.get("/search?q=fan&from=yesterday&state=weird&category=abc")
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Use a date like" in html and 'value="fan"' in html
    response = client.get("/search?q=fan&state=weird")
    assert response.status_code == 422 and "Choose solved or unsolved." in response.get_data(as_text=True)
    response = client.get("/search?q=fan&from=2025-02-01&to=2025-01-01")
    assert response.status_code == 422 and "end date is before" in response.get_data(as_text=True)


MALFORMED = [
    '"unbalanced quote', "AND", "OR", "NOT", "-", "--", "*", "a*", "(", ")", "((fan", "fan AND", "OR fan",
    "fan^", "title:fan", "[a TO", "fan~", "{}", "\\", "'", "''", '"', "?", "\x00fan", "fan\x00\x01\x1f",
    "x" * 10_000, "fan " * 2_500, "🙂 émoji ünïcode", "<script>", "%00", "NEAR/3", "fan -", "- fan",
]


@pytest.mark.parametrize("query", MALFORMED, ids=lambda q: repr(q[:12]))
def test_malformed_queries_never_500(client, make_thread, query, search_backend):
    make_thread(title="Fan noise at night")
    response = client.get("/search", query_string={"q": query})
    assert response.status_code == 200
    assert b"Search" in response.data


def test_searches_and_clicks_are_recorded(client, auth, make_user, make_thread, search_backend):
    thread = make_thread(title="Recorded printer question")
    user = make_user()
    auth.sign_in(user)
    client.get("/search?q=Printer")
    client.get("/search?q=nothinghere")
    response = client.get(f"/search/click?t={thread.id}&q=printer")
    assert response.status_code == 302 and f"/t/{thread.id}" in response.headers["Location"]
    events = {(e.kind, e.query, e.result_count) for e in db.session.query(SearchEvent)}
    assert events == {("search", "printer", 1), ("search", "nothinghere", 0), ("click", "printer", 0)}
    assert client.get("/search/click?t=999999").status_code == 404


def test_click_does_not_reveal_hidden_threads(client, make_category, make_thread, search_backend):
    hidden = make_thread(category=make_category(visibility=Visibility.staff))
    assert client.get(f"/search/click?t={hidden.id}").status_code == 404


def _ids(client, q, **params) -> list[int]:
    import re

    html = client.get("/search", query_string={"q": q, **params}).get_data(as_text=True)
    return [int(n) for n in re.findall(r'href="/search/click\?t=(\d+)', html)]


def test_a_quoted_phrase_is_searched_as_a_phrase(client, make_thread, search_backend):
    # Whoosh once raised on the tags field (no positions) and fell back to the words in any order.
    from community.models import Tag

    phrase = make_thread(title="Sorry, we can't accept this question")
    shuffled = make_thread(title="This question we accept, sorry")
    for thread in (phrase, shuffled):  # the phrase's words as tags too: Whoosh's phrase then reads tag positions
        thread.tags = [db.session.query(Tag).filter_by(name=name).one_or_none() or Tag(name=name) for name in ("sorry", "we")]
    db.session.commit()
    html = client.get('/search', query_string={"q": '"Sorry, we can\'t accept this question"'}).get_data(as_text=True)
    assert f"t={phrase.id}&amp;" in html and f"t={shuffled.id}&amp;" not in html
