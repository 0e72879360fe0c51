"""No N+1 queries: a page's query count must not grow with the number of threads or posts it shows.

Each case renders a page showing N rows, then 3N rows, and compares the statements the app ran.
Every row has its own author, category (for listings) and replier, so a lazy load per author,
category or last poster would show up as extra queries.
"""
from __future__ import annotations

import pytest
from flask import g

from community.extensions import db
from community.models import Role

N = 3  # 3N = 9 stays on one page everywhere (the home page lists 10 threads)


@pytest.fixture
def app_overrides():
    # Count what rendering costs: a page-cache hit would run no queries whatever the page does.
    return {"PAGE_CACHE_ENABLED": False}


class World:
    """Rows for one page kind, grown in steps so the same page can be measured at N and 3N."""

    def __init__(self, kind: str, make_user, make_category, make_thread, make_post) -> None:
        self.kind = kind
        self.make_user, self.make_category = make_user, make_category
        self.make_thread, self.make_post = make_thread, make_post
        self.category = make_category()
        self.thread = make_thread(category=self.category, title="The one thread") if kind == "thread" else None
        self.shown: list[str] = []  # text that must appear on the page, one per row

    def grow(self, rows: int) -> None:
        for _ in range(rows):
            number = len(self.shown) + 1
            if self.kind == "thread":
                body = f"Reply number {number} about invoices."
                self.make_post(thread=self.thread, author=self.make_user(), body=body)
                self.shown.append(body)
            else:
                category = self.category if self.kind == "category" else self.make_category()
                title = f"Listing row {number} about exports"
                thread = self.make_thread(author=self.make_user(), category=category, title=title)
                self.make_post(thread=thread, author=self.make_user())
                self.shown.append(title)

    def path(self) -> str:
        if self.kind == "thread":
            return f"/t/{self.thread.id}-{self.thread.slug}"
        return {"home": "/", "latest": "/latest", "category": f"/c/{self.category.slug}"}[self.kind]


def _count(client, query_counter, world: World) -> int:
    client.get(world.path())  # the first request may fill per-process caches
    with query_counter() as counted:
        response = client.get(world.path())
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    missing = [text for text in world.shown if text not in html]
    assert not missing, f"{world.path()} does not show {missing}"
    return counted.n


@pytest.mark.parametrize("signed_in", [False, True], ids=["anonymous", "signed-in"])
@pytest.mark.parametrize("kind", ["home", "category", "latest", "thread"])
def test_query_count_does_not_grow_with_rows_shown(
    kind, signed_in, client, auth, query_counter, make_user, make_category, make_thread, make_post
):
    if signed_in:
        auth.sign_in(make_user())
    world = World(kind, make_user, make_category, make_thread, make_post)
    world.grow(N)
    few = _count(client, query_counter, world)
    world.grow(2 * N)
    many = _count(client, query_counter, world)
    assert many == few, f"{world.path()}: {few} queries for {N} rows, {many} for {3 * N}"


@pytest.mark.parametrize("role", [Role.customer, Role.moderator])
def test_signed_in_home_is_one_statement_once_its_listing_is_shared(
    role, app, client, auth, query_counter, make_user, make_thread
):
    """The user row, with the bell count, the reader's own hidden threads and the branding version
    in the same statement (web/reader.py); the listing comes from the shared fragment. It was
    four: user, own hidden threads, branding, unread count."""
    app.config["PAGE_CACHE_ENABLED"] = True
    make_thread(title="A shared listing row")
    auth.sign_in(make_user(role=role))
    client.get("/")  # fills the shared listing and this process's branding memo
    g.pop("_login_user", None)  # as in production, where each request loads its user
    g.pop("branding", None)
    with query_counter() as counted:
        response = client.get("/")
    assert response.status_code == 200 and "A shared listing row" in response.get_data(as_text=True)
    assert counted.n == 1, counted.statements


@pytest.mark.parametrize("signed_in", [False, True], ids=["anonymous", "signed-in"])
def test_thread_page_reads_each_thing_once(
    signed_in, client, auth, query_counter, make_user, make_thread, make_post
):
    """A thread with accepted and verified answers, helpful votes, a follow, "same problem" and tags:
    the reader (signed in) or the branding row (signed out), the thread, the post count, the page's
    posts, the answer marks with the counts and the reader's own reactions, the page's helpful votes,
    and the structured data's posts. It was 17 signed out and 20 signed in: the marks were read twice,
    the structured data's posts joined the thread and reloaded its tags (which the page never shows),
    and each reaction was its own statement."""
    from community.models import Tag
    from community.services import answers, reactions

    asker, staff, reader = make_user(), make_user(role=Role.staff), make_user()
    thread = make_thread(author=asker, title="Invoices export as empty files")
    replies = [make_post(thread=thread, body=f"Try number {n}.") for n in range(6)]
    answers.accept_answer(asker, thread.id, replies[1].id)
    answers.verify_answer(staff, thread.id, replies[2].id)
    thread.tags = [Tag(name="billing"), Tag(name="export")]
    db.session.commit()
    reactions.toggle_helpful(reader, replies[2].id)
    reactions.toggle_same_problem(reader, thread.id)
    reactions.set_following(reader, thread.id, True)
    if signed_in:
        auth.sign_in(reader)
    path = f"/t/{thread.id}-{thread.slug}"
    client.get(path)  # fills per-process caches
    g.pop("_login_user", None)  # as in production, where each request loads its user and branding
    g.pop("branding", None)
    db.session.remove()  # and finds no thread or post in its session yet
    with query_counter() as counted:
        response = client.get(path)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "Staff verified by" in html and "Accepted answer" in html
    assert counted.n == 7, [" ".join(statement.split())[:120] for statement in counted.statements]
