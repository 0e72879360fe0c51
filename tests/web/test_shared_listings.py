"""The home page's listing is rendered once per audience and shared (web/forum.py _shared_listing).

Readers of one audience (same readable visibilities, staff or not) get the same cached HTML; a
reader whose own private or held thread belongs in the list gets a render of their own. Each test
fills the shared copy as one reader first, then reads as another: nothing may cross over.
"""
from __future__ import annotations

import pytest

from community.models import Role, Visibility
from community.services import forum


@pytest.fixture
def board(make_category, make_thread, make_user):
    categories = {
        visibility: make_category(name=f"Board {visibility.value}", visibility=visibility)
        for visibility in (Visibility.public, Visibility.members, Visibility.customers, Visibility.staff)
    }
    titles = {}
    for visibility, category in categories.items():
        title = f"Question in {visibility.value} board"
        make_thread(category=category, title=title)
        titles[visibility] = title
    return titles


def _home(client, auth, user) -> str:
    if user is None:
        auth.sign_out()
    else:
        auth.sign_in(user)
    response = client.get("/")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _shown(html: str, titles: dict) -> set[Visibility]:
    return {visibility for visibility, title in titles.items() if title in html}


def test_each_audience_gets_its_own_list_whoever_filled_the_cache(client, auth, make_user, board):
    member = make_user()
    customer = make_user(verified_customer=True)
    staff = make_user(role=Role.moderator)
    expected = {
        None: {Visibility.public},
        member: {Visibility.public, Visibility.members},
        customer: {Visibility.public, Visibility.members, Visibility.customers},
        staff: set(Visibility),
    }
    # Staff first, then the others: a cached staff list must never reach them (and back again).
    for reader in (staff, member, customer, None, staff, customer, member):
        assert _shown(_home(client, auth, reader), board) == expected[reader], reader


def test_a_private_thread_is_listed_for_its_author_and_staff_only(client, auth, make_user, make_thread, make_category):
    category = make_category(name="Support")
    for n in range(12):  # a full home list, so the shared copy has an oldest activity
        make_thread(category=category, title=f"Public question {n}")
    alice, bob, staff = make_user(), make_user(), make_user(role=Role.staff)
    secret = make_thread(author=alice, category=category, title="Alice's private billing problem", is_private=True)
    for reader in (bob, alice, bob, staff, alice):
        html = _home(client, auth, reader)
        assert (secret.title.replace("'", "&#39;") in html) == (reader is not bob), reader
        assert "Public question 11" in html


def test_the_shared_copy_is_reused_and_changes_with_new_threads(app, client, auth, make_user, make_thread, make_category):
    category = make_category(name="General")
    make_thread(category=category, title="First question")
    first, second = make_user(), make_user()
    _home(client, auth, first)
    html = _home(client, auth, second)
    assert "First question" in html and second.display_name in html and first.display_name not in html
    make_thread(category=category, title="Second question")
    assert "Second question" in _home(client, auth, first)


def test_an_old_private_thread_does_not_cost_its_author_the_shared_copy(app, make_user, make_thread, make_category):
    category = make_category()
    author = make_user()
    old = make_thread(author=author, category=category, title="Old private one", is_private=True)
    assert forum.has_own_hidden_thread(author, None)
    assert not forum.has_own_hidden_thread(author, old.last_activity_at.replace(year=old.last_activity_at.year + 1))
    assert not forum.has_own_hidden_thread(make_user(role=Role.staff), None)
    assert forum.listing_audience(None) != forum.listing_audience(author)


@pytest.mark.parametrize("app_overrides", [{"PAGE_CACHE_ENABLED": False}])
def test_without_the_page_cache_every_reader_gets_a_fresh_render(client, auth, make_user, make_thread, make_category):
    alice, bob = make_user(), make_user()
    make_thread(author=alice, category=make_category(), title="Alice's own private question", is_private=True)
    assert "Alice&#39;s own private question" in _home(client, auth, alice)
    assert "Alice&#39;s own private question" not in _home(client, auth, bob)


def _category_page(client, auth, user, category, page: int = 1) -> str:
    auth.sign_in(user)
    response = client.get(f"/c/{category.slug}?page={page}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_a_category_page_lists_a_private_thread_for_its_author_only(app, client, auth, make_user, make_thread, make_category):
    app.config["THREADS_PER_PAGE"] = 5
    category = make_category(name="Billing")
    for n in range(12):
        make_thread(category=category, title=f"Billing question {n}")
    alice, bob = make_user(), make_user()
    secret = make_thread(author=alice, category=category, title="Alice private invoice", is_private=True)
    for reader in (bob, alice, bob, alice):
        first = _category_page(client, auth, reader, category)
        assert ("Alice private invoice" in first) == (reader is alice), reader
        # Her thread pushes one row to page 2 for her only: pages differ per reader there too.
        assert ("Billing question 7" in first) == (reader is bob), reader
    # An old private thread that staff pinned comes first on page 1, however old its activity.
    secret.is_pinned = True
    secret.last_activity_at = secret.last_activity_at.replace(year=2001)
    from community.extensions import db

    db.session.commit()
    assert "Alice private invoice" in _category_page(client, auth, alice, category)
    assert "Alice private invoice" not in _category_page(client, auth, bob, category)


def test_a_category_page_changes_with_a_new_thread_in_it(client, auth, make_user, make_thread, make_category):
    category = make_category(name="Shipping")
    make_thread(category=category, title="Parcel lost")
    reader = make_user()
    _category_page(client, auth, reader, category)
    make_thread(category=category, title="Parcel late")
    assert "Parcel late" in _category_page(client, auth, make_user(), category)
