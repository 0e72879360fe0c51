"""Who finds what: roles × visibility levels, on every backend. Hidden threads must not show in
results, counts, snippets, similar questions or "did you mean" words."""
from __future__ import annotations

import pytest

from community.models import Role, Visibility
from community.search import queries as search_service

ROLES = ("anonymous", "member", "verified_customer", "staff")
LEVELS = ("public", "members", "customers", "staff", "private")
READS = {
    "anonymous": {"public"},
    "member": {"public", "members"},
    "verified_customer": {"public", "members", "customers"},
    "staff": set(LEVELS),
}


def _viewer(role, make_user):
    if role == "anonymous":
        return None
    if role == "staff":
        return make_user(role=Role.staff)
    return make_user(verified_customer=role == "verified_customer")


@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize("role", ROLES)
def test_search_shows_only_what_the_viewer_may_read(role, level, make_user, make_category, make_thread, search_backend):
    visibility = Visibility.public if level == "private" else Visibility(level)
    secret = make_thread(
        title="Zebracorn calibration", body="The quasarflux setting drifts.",
        category=make_category(visibility=visibility), is_private=level == "private",
    )
    make_thread(title="Public unrelated thread", body="Nothing to see.")
    viewer = _viewer(role, make_user)
    allowed = level in READS[role]

    page = search_service.search(viewer, "zebracorn")
    assert [item.thread.id for item in page.items] == ([secret.id] if allowed else [])
    assert page.total == (1 if allowed else 0)
    body_page = search_service.search(viewer, "quasarflux")
    snippets = " ".join(str(item.hit.snippet_html) for item in body_page.items)
    assert ("quasarflux" in snippets) is allowed
    similar = search_service.similar(viewer, "How to do zebracorn calibration?")
    assert [item.thread.id for item in similar] == ([secret.id] if allowed else [])
    misspelt = search_service.search(viewer, "zebracorm")
    assert misspelt.corrected == ("zebracorn" if allowed else None)


def test_authors_find_their_own_private_threads(make_user, make_thread, search_backend):
    author, other = make_user(), make_user()
    mine = make_thread(author=author, title="My private zebracorn", is_private=True)
    assert [i.thread.id for i in search_service.search(author, "zebracorn").items] == [mine.id]
    assert search_service.search(other, "zebracorn").items == []


def test_nothing_leaks_when_the_viewer_may_read_no_document_at_all(make_category, make_thread, search_backend):
    # Whoosh treats an empty filter as no filter; the backend must not.
    make_thread(title="Only staff zebracorn", category=make_category(visibility=Visibility.staff))
    assert search_service.search(None, "zebracorn").total == 0
    assert search_service.similar(None, "zebracorn question") == []
