"""Facet counts, the tag filter and corrected queries, on every backend: counts say what choosing an
option would give (the other filters kept), and never count a thread the viewer cannot read."""
from __future__ import annotations

from datetime import timedelta

import pytest

from community.extensions import db
from community.models import AcceptedAnswer, Tag, ThreadState, VerifiedAnswer, Visibility, utcnow
from community.search import queries as search_service
from community.search.queries import SearchFilters


def tag(thread, *names):
    thread.tags = [db.session.query(Tag).filter_by(name=name).one_or_none() or Tag(name=name) for name in names]
    db.session.commit()


def solve(thread, make_post, make_user, *, verified=False):
    answer = make_post(thread=thread, body="Reinstall the driver.")
    model = VerifiedAnswer(thread_id=thread.id, post_id=answer.id, verified_by_id=make_user().id) if verified else \
        AcceptedAnswer(thread_id=thread.id, post_id=answer.id, accepted_by_id=thread.author_id)
    db.session.add(model)
    thread.state = ThreadState.solved
    db.session.commit()
    return answer


@pytest.fixture
def world(make_category, make_thread, make_post, make_user):
    """Printer threads: two in Hardware (one solved with an accepted answer, one old), one in
    Software with a verified answer; a staff-only and a private one nobody else may count."""
    hardware, software = make_category(name="Hardware"), make_category(name="Software")
    accepted = make_thread(title="Printer jams on page two", category=hardware)
    old = make_thread(title="Printer offline", category=hardware, created_at=utcnow() - timedelta(days=45))
    verified = make_thread(title="Printer driver crash", category=software)
    hidden = make_thread(title="Printer secret roadmap", category=make_category(name="Staff", visibility=Visibility.staff))
    private = make_thread(title="Printer private invoice", category=hardware, is_private=True)
    tag(accepted, "ink", "paper")
    tag(verified, "ink")
    tag(hidden, "secret-tag")
    tag(private, "private-tag")
    accepted_post = solve(accepted, make_post, make_user)
    verified_post = solve(verified, make_post, make_user, verified=True)
    return dict(hardware=hardware, software=software, accepted=accepted, old=old, verified=verified,
                hidden=hidden, private=private, accepted_post=accepted_post, verified_post=verified_post)


def _facets(viewer, **filters):
    page = search_service.search(viewer, "printer", SearchFilters(**filters), with_facets=True)
    return page, page.facets


def test_facet_counts_keep_the_other_filters_and_replace_their_own(world, search_backend):
    hardware, software = world["hardware"], world["software"]
    page, facets = _facets(None)
    assert page.total == 3
    assert facets.categories == {hardware.id: 2, software.id: 1}
    assert facets.states == {"solved": 2, "unsolved": 1}
    assert facets.verified == 1
    assert facets.tags == {"ink": 2, "paper": 1}
    assert facets.dates == {"week": 2, "month": 2, "year": 3}

    page, facets = _facets(None, category_id=hardware.id)
    assert page.total == 2
    assert facets.categories == {hardware.id: 2, software.id: 1}  # its own filter replaced
    assert facets.states == {"solved": 1, "unsolved": 1}
    assert facets.verified == 0 and facets.tags == {"ink": 1, "paper": 1}
    assert facets.dates == {"week": 1, "month": 1, "year": 2}

    page, facets = _facets(None, tag="ink", state="solved")
    assert {item.thread.id for item in page.items} == {world["accepted"].id, world["verified"].id}
    assert facets.categories == {hardware.id: 1, software.id: 1}
    assert facets.states == {"solved": 2, "unsolved": 0}
    assert facets.tags == {"ink": 2, "paper": 1}
    since = utcnow() - timedelta(days=10)
    page, facets = _facets(None, date_from=since)
    assert page.total == 2 and facets.dates["year"] == 3 and facets.categories == {hardware.id: 1, software.id: 1}


def test_phrases_and_prefixes_are_counted_like_words(world, search_backend):
    # Whoosh counts these through its own matchers rather than the array evaluation.
    phrase = search_service.search(None, '"printer jams"', SearchFilters(), with_facets=True).facets
    assert phrase.categories == {world["hardware"].id: 1} and phrase.states == {"solved": 1, "unsolved": 0}
    assert phrase.tags == {"ink": 1, "paper": 1} and phrase.verified == 0
    prefix = search_service.search(None, "printe*", SearchFilters(), with_facets=True).facets
    assert prefix.categories == {world["hardware"].id: 2, world["software"].id: 1}
    assert prefix.tags == {"ink": 2, "paper": 1} and prefix.dates["year"] == 3


def test_facets_never_count_what_the_viewer_cannot_read(world, make_user, search_backend):
    staff_category = world["hidden"].category_id
    _page, facets = _facets(None)
    assert staff_category not in facets.categories
    assert "secret-tag" not in facets.tags and "private-tag" not in facets.tags
    assert sum(facets.categories.values()) == 3 and sum(facets.states.values()) == 3
    author = world["private"].author
    _page, facets = _facets(author)
    assert facets.categories[world["hardware"].id] == 3 and facets.tags["private-tag"] == 1
    assert staff_category not in facets.categories


def test_tag_filter_on_the_page_and_its_counts(client, world, search_backend):
    html = client.get("/search?q=printer&tag=ink").get_data(as_text=True)
    assert "2 results for" in html
    assert f"t={world['old'].id}&" not in html and f"t={world['accepted'].id}&" in html
    # The column: counts from the backend, links that keep the query and the tag.
    assert 'href="/search?q=printer&amp;tag=paper"' in html
    assert ">Staff <span" not in html and "secret-tag" not in html
    assert 'aria-current="true" class="facet-selected">ink' in html
    response = client.get("/search?q=printer&tag=" + "x" * 51)
    assert response.status_code == 422 and "Choose a tag from the list." in response.get_data(as_text=True)


def test_solved_results_link_to_their_answer(client, world, search_backend):
    html = client.get("/search?q=printer").get_data(as_text=True)
    verified, accepted = world["verified"], world["accepted"]
    assert f"/search/click?t={verified.id}&amp;q=printer&amp;answer={world['verified_post'].id}" in html
    assert f"/search/click?t={accepted.id}&amp;q=printer&amp;answer={world['accepted_post'].id}" in html
    assert "Verified answer" in html and "Solved" in html
    response = client.get(f"/search/click?t={verified.id}&q=printer&answer={world['verified_post'].id}")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/t/{verified.id}-{verified.slug}#post-{world['verified_post'].id}")


def test_a_typo_finds_the_corrected_query_on_the_page_and_in_the_service(make_thread, search_backend):
    wanted = make_thread(title="Renew the certificate before it expires")
    page = search_service.search(None, "certifcate")
    assert page.showing_corrected and page.corrected == "certificate"
    assert [item.thread.id for item in page.items] == [wanted.id] and page.total == 1
    exact = search_service.search(None, "certifcate", SearchFilters(exact=True))
    assert exact.items == [] and exact.corrected == "certificate" and not exact.showing_corrected


def test_a_typo_from_a_hidden_thread_is_not_corrected(make_thread, make_category, search_backend):
    make_thread(title="Zebracorn calibration", category=make_category(visibility=Visibility.staff))
    page = search_service.search(None, "zebracorm")
    assert page.items == [] and page.corrected is None and not page.showing_corrected


def test_on_whoosh_the_facets_reuse_the_searchs_matches(world, search_backend, monkeypatch):
    """Each segment's postings are evaluated once a page: the facet counts take the matches the
    search kept (before its filters), and still count as a fresh evaluation would."""
    from community.search import backend as current_backend, whoosh_scoring

    if not hasattr(current_backend(), "_facet_values"):
        pytest.skip("array evaluation is Whoosh's")
    looked_up = []
    term = whoosh_scoring._Segment.term
    monkeypatch.setattr(whoosh_scoring._Segment, "term", lambda self, query: looked_up.append(query) or term(self, query))
    filters = dict(category_id=world["hardware"].id, state="solved")
    search_service.search(None, "printer", SearchFilters(**filters))
    without_facets = len(looked_up)
    looked_up.clear()
    _page, shared = _facets(None, **filters)
    assert len(looked_up) == without_facets > 0
    fresh = current_backend().facets(search_service._request("printer", search_service.access_for(None),
                                                             SearchFilters(**filters)), search_service.date_starts(utcnow()))
    assert (shared.categories, shared.states, shared.tags, shared.dates) == \
        (fresh.categories, fresh.states, fresh.tags, fresh.dates)
    assert shared.categories == {world["hardware"].id: 1, world["software"].id: 1}
