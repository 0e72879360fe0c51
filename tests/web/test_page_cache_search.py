"""Anonymous search pages in the page cache: refreshed by anything that reaches the search index,
keyed on the normalised query, never served to signed-in readers, and no query on a hit."""
from __future__ import annotations

from community.extensions import db
from community.models import Role, Visibility
from community.services import posts
from community.page_cache import store as page_cache


def _search(client, query_string: str):
    response = client.get(f"/search?{query_string}")
    return response, response.get_data(as_text=True)


def test_second_anonymous_search_is_a_hit_with_the_same_page(client, make_thread):
    make_thread(title="Invoice totals are wrong")
    first, first_html = _search(client, "q=invoice")
    second, second_html = _search(client, "q=invoice")
    assert first.headers["X-Page-Cache"] == "miss" and second.headers["X-Page-Cache"] == "hit"
    assert second_html == first_html and "totals are wrong" in second_html


def test_a_hit_runs_no_query(client, make_thread, query_counter):
    make_thread(title="Invoice totals are wrong")
    _search(client, "q=invoice")
    with query_counter() as counted:
        assert _search(client, "q=invoice")[0].headers["X-Page-Cache"] == "hit"
    assert counted.statements == []


def test_a_matching_post_refreshes_the_cached_search(client, make_user, make_thread):
    thread = make_thread(title="Billing question", body="Nothing to see")
    assert "Billing question" not in _search(client, "q=refund")[1]
    _search(client, "q=refund")
    posts.create_reply(make_user(), thread.id, "The refund arrived after a week")
    response, html = _search(client, "q=refund")
    assert response.headers["X-Page-Cache"] == "miss" and "Billing question" in html


def test_a_thread_turned_private_leaves_the_cached_search(client, make_thread):
    thread = make_thread(title="Invoice totals are wrong")
    assert "totals are wrong" in _search(client, "q=invoice")[1]
    thread.is_private = True
    db.session.commit()
    response, html = _search(client, "q=invoice")
    assert response.headers["X-Page-Cache"] == "miss" and "totals are wrong" not in html


def test_the_index_applying_changes_empties_cached_searches(client, make_thread):
    make_thread(title="Invoice totals are wrong")
    _search(client, "q=invoice")
    page_cache.search_index_changed()  # as the outbox drain does after indexing
    assert _search(client, "q=invoice")[0].headers["X-Page-Cache"] == "miss"


def test_a_reply_elsewhere_in_the_forum_that_the_index_ignores_keeps_searches_cached(client, make_thread):
    thread = make_thread(title="Invoice totals are wrong")
    _search(client, "q=invoice")
    thread.view_count = (thread.view_count or 0) + 1  # not indexed: no search page shows it
    db.session.commit()
    assert _search(client, "q=invoice")[0].headers["X-Page-Cache"] == "hit"


def test_signed_in_readers_never_get_the_anonymous_copy(client, auth, make_user, make_category, make_thread):
    make_thread(category=make_category(name="Staff room", visibility=Visibility.staff), title="Invoice salary bands")
    assert "salary bands" not in _search(client, "q=invoice")[1]
    auth.sign_in(make_user(role=Role.moderator))
    response, html = _search(client, "q=invoice")
    assert "X-Page-Cache" not in response.headers and "salary bands" in html
    auth.sign_out()
    response, html = _search(client, "q=invoice")
    assert response.headers["X-Page-Cache"] == "hit" and "salary bands" not in html


def test_equivalent_query_strings_share_one_page(client, make_thread):
    make_thread(title="Invoice totals are wrong")
    _search(client, "q=invoice+totals&sort=relevance&page=1")
    for equivalent in ("sort=relevance&q=invoice+totals", "q=+invoice++totals+&sort=relevance&state=&page=1"):
        assert _search(client, equivalent)[0].headers["X-Page-Cache"] == "hit", equivalent
    for different in ("q=Invoice+totals&sort=relevance", "q=invoice+totals&sort=newest", "q=invoice+totals&page=2"):
        assert _search(client, different)[0].headers["X-Page-Cache"] == "miss", different


def test_unknown_parameters_and_invalid_filters_are_not_cached(client, make_thread):
    make_thread(title="Invoice totals are wrong")
    for query_string in ("q=invoice&utm_source=mail", "q=invoice&q=totals", "q=invoice&sort=sideways"):
        _search(client, query_string)
        response = _search(client, query_string)[0]
        assert response.headers.get("X-Page-Cache") != "hit", query_string


def test_cached_first_pages_still_count_for_the_insights_page(client, auth, make_user, make_thread):
    from sqlalchemy import func, select

    from community.models import SearchEvent

    make_thread(title="Invoice totals are wrong")
    for _ in range(3):
        _search(client, "q=invoice")
    _search(client, "q=invoice&page=2")  # later pages are not counted, cached or not
    auth.sign_in(make_user(role=Role.staff))
    assert client.get("/search/insights").status_code == 200  # writes this process's pending hits first
    counted = db.session.scalar(select(func.count()).select_from(SearchEvent).where(SearchEvent.query == "invoice"))
    assert counted == 3
