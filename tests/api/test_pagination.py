"""Cursor pagination: complete, in order, no repeats, stable when rows are added between pages; filters."""
from datetime import timedelta

import pytest

from community.extensions import db
from community.models import Tag, ThreadState, utcnow

from .conftest import ApiClient, issue_token


def _walk(api: ApiClient, path: str, limit: int, between=None) -> list[int]:
    """Every id across the pages; `between()` runs after the first page (to insert rows meanwhile)."""
    ids, cursor, pages = [], None, 0
    while True:
        sep = "&" if "?" in path else "?"
        response = api.get(f"{path}{sep}limit={limit}" + (f"&cursor={cursor}" if cursor else ""))
        assert response.status_code == 200, response.json
        assert len(response.json["data"]) <= limit
        ids += [item["id"] for item in response.json["data"]]
        cursor, pages = response.json["next_cursor"], pages + 1
        if pages == 1 and between:
            between()
        if cursor is None:
            return ids


def test_thread_pages_are_complete_and_stable_under_inserts(app, client, make_user, make_thread):
    reader = make_user()
    base = utcnow() - timedelta(days=1)
    same_moment = base + timedelta(hours=1)
    made = [make_thread(created_at=base + timedelta(minutes=i)) for i in range(4)]
    made += [make_thread(created_at=same_moment) for _ in range(4)]  # ties broken by id
    expected = [t.id for t in sorted(made, key=lambda t: (t.last_activity_at, t.id), reverse=True)]
    api = ApiClient(client, issue_token(reader))
    assert _walk(api, "/threads", 3) == expected

    newer = []
    walked = _walk(api, "/threads", 3, between=lambda: newer.extend(make_thread().id for _ in range(2)))
    assert walked == expected  # new threads sort first, so later pages neither repeat nor skip
    assert _walk(api, "/threads", 100)[:2] == sorted(newer, reverse=True)


def test_category_pages_put_pinned_threads_first_like_the_category_page(app, client, make_user, make_category,
                                                                        make_thread):
    room = make_category()
    base = utcnow() - timedelta(days=1)
    made = [make_thread(category=room, created_at=base + timedelta(minutes=i)) for i in range(5)]
    made[1].is_pinned = True  # an old thread, pinned
    db.session.commit()
    newest_first = [t.id for t in reversed(made) if t.id != made[1].id]
    api = ApiClient(client, issue_token(make_user()))
    assert _walk(api, f"/threads?category={room.id}", 2) == [made[1].id, *newest_first]


def test_post_and_user_pages_follow_insertion_order(app, client, make_user, make_thread, make_post):
    staff = make_user(role="staff")
    thread = make_thread(author=staff)
    opening = thread.last_post_id
    replies = [make_post(thread=thread).id for _ in range(4)]
    api = ApiClient(client, issue_token(staff))
    late = []
    walked = _walk(api, f"/threads/{thread.id}/posts", 2, between=lambda: late.append(make_post(thread=thread).id))
    assert walked == [opening, *replies, *late]
    users_before = _walk(api, "/users", 2)
    newcomer = make_user()
    assert _walk(api, "/users", 2) == [*users_before, newcomer.id]


def test_thread_filters(app, client, make_user, make_category, make_thread):
    reader = make_user()
    room = make_category()
    old = make_thread(category=room, created_at=utcnow() - timedelta(days=10))
    solved = make_thread(category=room)
    solved.state, solved.solved_at = ThreadState.solved, utcnow()
    tagged = make_thread()
    tagged.tags.append(Tag(name="billing"))
    db.session.commit()
    api = ApiClient(client, issue_token(reader))

    def ids(query: str) -> set[int]:
        response = api.get(f"/threads?{query}")
        assert response.status_code == 200, response.json
        return {item["id"] for item in response.json["data"]}

    assert ids(f"category={room.id}") == {old.id, solved.id}
    assert ids("state=solved") == {solved.id}
    assert ids("state=unanswered") == {old.id, tagged.id}
    assert ids("tag=billing") == {tagged.id}
    since = (utcnow() - timedelta(days=1)).isoformat().replace("+00:00", "Z")
    assert ids(f"updated_since={since}") == {solved.id, tagged.id}


BAD_QUERIES = [
    ("cursor=notacursor", "cursor"), ("cursor=WzEsMiwzXQ", "cursor"), ("limit=0", "limit"), ("limit=101", "limit"),
    ("limit=ten", "limit"), ("updated_since=yesterday", "updated_since"), ("state=happy", "state"),
    ("category=-1", "category"),
]


@pytest.mark.backends("sqlite")
def test_bad_list_parameters_answer_400_naming_the_parameter(app, client, make_user):
    api = ApiClient(client, issue_token(make_user()))
    for query, field in BAD_QUERIES:
        response = api.get(f"/threads?{query}")
        assert response.status_code == 400, query
        assert response.json["error"]["code"] == "bad_request" and field in response.json["error"]["fields"], query


@pytest.mark.backends("sqlite")
def test_listing_queries_do_not_grow_with_the_page(app, client, make_user, make_thread, make_post, query_counter):
    """No N+1: a page of 3 and a page of 12 threads (or posts) run the same number of statements."""
    staff = make_user(role="staff")
    threads = [make_thread(author=make_user()) for _ in range(12)]
    for _ in range(11):
        make_post(thread=threads[0], author=make_user())
    api = ApiClient(client, issue_token(staff))
    counts = {}
    for path in ("/threads", f"/threads/{threads[0].id}/posts", "/users"):
        for limit in (3, 12):
            api.get(f"{path}?limit={limit}")  # the token's last_used_at write happens once, not per page
            with query_counter() as counted:
                assert api.get(f"{path}?limit={limit}").status_code == 200
            counts[path, limit] = counted.n
        assert counts[path, 3] == counts[path, 12], (path, counts)
