"""Nothing a token's user may not read leaks through the API: listings, reads, search, counts, posts,
users and bridge cases, for each kind of reader, on both databases."""
import pytest
from sqlalchemy import select

from community import policies
from community.extensions import db
from community.models import Category, Thread, utcnow
from community.services import threads
from community.search import upkeep as search_upkeep

from .conftest import ApiClient, issue_token, make_bridge_case

WORD = "zebra"


@pytest.fixture
def world(app, make_user, make_category, make_thread, make_post):
    people = {
        "author": make_user(), "other": make_user(), "verified": make_user(verified_customer=True),
        "staff": make_user(role="staff"),
    }
    author = people["author"]
    categories = {level: make_category(name=f"{level} room", visibility=level)
                  for level in ("public", "members", "customers", "staff")}
    gone = make_category(name="gone room")
    made = {
        "public": make_thread(author=author, category=categories["public"], title=f"{WORD} public"),
        "private": make_thread(author=author, category=categories["public"], title=f"{WORD} private", is_private=True),
        "pending": make_thread(author=author, category=categories["public"], title=f"{WORD} pending"),
        "deleted": make_thread(author=author, category=categories["public"], title=f"{WORD} deleted"),
        "in_gone": make_thread(author=author, category=gone, title=f"{WORD} in gone"),
        **{level: make_thread(author=author, category=categories[level], title=f"{WORD} {level} only")
           for level in ("members", "customers", "staff")},
    }
    made["pending"].is_pending = True
    made["deleted"].deleted_at = utcnow()
    gone.deleted_at = utcnow()
    public = made["public"]
    other = people["other"]
    posts = {"hidden": make_post(thread=public, author=other, body="hidden words"),
             "held": make_post(thread=public, author=other, body="held words"),
             "removed": make_post(thread=public, author=other, body="removed words")}
    posts["hidden"].is_hidden, posts["held"].is_pending, posts["removed"].deleted_at = True, True, utcnow()
    db.session.commit()
    for thread in made.values():
        threads.refresh_counters(thread)  # the stored counters, as the services keep them
    db.session.commit()
    search_upkeep.rebuild_index()
    return {"people": people, "threads": made, "posts": posts, "categories": {**categories, "gone": gone}}


def _all_pages(api: ApiClient, path: str) -> list[dict]:
    items, cursor = [], None
    while True:
        response = api.get(path + ("&" if "?" in path else "?") + f"limit=2" + (f"&cursor={cursor}" if cursor else ""))
        assert response.status_code == 200, response.json
        items += response.json["data"]
        cursor = response.json["next_cursor"]
        if cursor is None:
            return items


def test_threads_categories_and_search_show_only_what_the_reader_may_read(app, client, world):
    # One world, every reader in turn (building the world is the slow part).
    for role in ("author", "other", "verified", "staff"):
        _check_reader(client, world, role)


def _check_reader(client, world, role: str) -> None:
    user = world["people"][role]
    api = ApiClient(client, issue_token(user))
    every = world["threads"]
    readable = {key for key, thread in every.items() if policies.can_read_thread(user, thread)}
    listed = readable - {"deleted", "in_gone"}  # listings leave out deleted rows even for staff

    by_id = {thread.id: key for key, thread in every.items()}
    assert {by_id[item["id"]] for item in _all_pages(api, "/threads")} == listed, role
    for key, thread in every.items():
        status = api.get(f"/threads/{thread.id}").status_code
        assert (status == 200) == (key in readable), (role, key, status)
        assert status in (200, 404)  # closed answers as missing does
    found = api.get(f"/search?q={WORD}&limit=50").json
    # Search leaves out deleted threads and held ones (never indexed); staff still find threads of a deleted room.
    assert {by_id[item["id"]] for item in found["data"]} == readable - {"deleted", "pending"}
    assert found["total"] == len(found["data"])

    categories = {item["slug"]: item for item in api.get("/categories").json["data"]}
    expected = {c.slug for c in world["categories"].values() if policies.can_read_category(user, c) and c.deleted_at is None}
    assert set(categories) == expected
    # The public room's counters count only its one public, live, approved thread.
    assert categories[world["categories"]["public"].slug]["thread_count"] == 1
    gone = world["categories"]["gone"]
    assert api.get(f"/categories/{gone.id}").status_code == (200 if role == "staff" else 404)
    hidden_room = world["categories"]["staff"]
    assert api.get(f"/threads?category={hidden_room.id}").status_code == (200 if role == "staff" else 404)


def test_hidden_held_and_deleted_posts_show_text_only_to_their_author_and_staff(app, client, world):
    for role in ("author", "other", "staff"):
        _check_posts(client, world, role)


def _check_posts(client, world, role: str) -> None:
    user = world["people"][role]
    api = ApiClient(client, issue_token(user))
    public = world["threads"]["public"]
    posts = {item["id"]: item for item in api.get(f"/threads/{public.id}").json["posts"]}
    hidden, held, removed = (world["posts"][key] for key in ("hidden", "held", "removed"))
    sees_all = role in ("other", "staff")  # "other" wrote these replies
    assert (held.id in posts) == sees_all
    for post in (hidden, removed):
        assert post.id in posts  # a placeholder keeps the conversation's shape
        assert (posts[post.id]["body_markdown"] is not None) == sees_all
        assert (api.get(f"/posts/{post.id}").json["body_html"] is not None) == sees_all
    assert api.get(f"/posts/{held.id}").status_code == (200 if sees_all else 404)


def test_users_and_bridge_cases_are_staff_views(app, client, world):
    customer, staff = world["people"]["other"], world["people"]["staff"]
    case = make_bridge_case()
    as_customer = ApiClient(client, issue_token(customer))
    assert as_customer.get("/users").status_code == 403
    profile = as_customer.get(f"/users/{staff.id}").json
    assert "staff_view" not in profile and staff.email not in str(profile)
    assert as_customer.get("/bridge/cases").status_code == 403
    assert as_customer.get(f"/bridge/cases/{case.id}").status_code == 403
    as_staff = ApiClient(client, issue_token(staff))
    assert as_staff.get(f"/users/{customer.id}").json["staff_view"]["email"] == customer.email
    assert [item["id"] for item in as_staff.get("/bridge/cases").json["data"]] == [case.id]


def test_a_token_never_outlives_its_users_permissions(app, client, make_user, make_thread, make_post):
    staff = make_user(role="staff")
    reply = make_post(thread=make_thread())
    api = ApiClient(client, issue_token(staff, ("read", "moderate")))
    staff.role = "customer"
    db.session.commit()
    response = api.post(f"/posts/{reply.id}/hide", json={"hidden": True})
    assert response.status_code == 403 and response.json["error"]["code"] == "forbidden"
    assert api.get("/users").status_code == 403
