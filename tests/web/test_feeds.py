"""Atom feeds: latest threads and solved threads per public category, anonymous content only."""
from __future__ import annotations

from xml.etree import ElementTree

import pytest

from sqlalchemy import select

from community.extensions import db
from community.models import Post, Role, ThreadState, utcnow

ATOM = "{http://www.w3.org/2005/Atom}"


def _entries(response) -> list[dict]:
    assert response.status_code == 200, response.status_code
    assert response.headers["Content-Type"].startswith("application/atom+xml")
    root = ElementTree.fromstring(response.data)
    assert root.find(f"{ATOM}updated").text
    return [
        {"title": e.find(f"{ATOM}title").text, "content": e.find(f"{ATOM}content").text,
         "link": e.find(f"{ATOM}link").get("href"), "updated": e.find(f"{ATOM}updated").text}
        for e in root.findall(f"{ATOM}entry")
    ]


@pytest.fixture
def world(make_user, make_category, make_thread):
    """One public thread of each kind that must stay out, next to two that belong in."""
    public = make_category(name="Billing")
    author = make_user()
    shown = make_thread(category=public, author=author, title="Shown thread", body="Hello <script>alert(1)</script> **bold**")
    make_thread(category=public, title="Second shown")
    for visibility in ("members", "customers", "staff"):
        make_thread(category=make_category(visibility=visibility), title=f"Gated {visibility}")
    make_thread(category=public, title="Private one", is_private=True)
    pending = make_thread(category=public, title="Pending one")
    pending.is_pending = True
    deleted = make_thread(category=public, title="Deleted one")
    deleted.deleted_at = utcnow()
    merged = make_thread(category=public, title="Merged one")
    merged.merged_into_id = shown.id
    hidden = make_thread(category=public, title="Hidden opening")
    opening = db.session.scalar(select(Post).where(Post.thread_id == hidden.id, Post.position == 1))
    opening.is_hidden = True
    gone = make_category(name="Gone")
    make_thread(category=gone, title="In deleted category")
    gone.deleted_at = utcnow()
    db.session.commit()
    return {"public": public, "shown": shown, "gone": gone}


def _titles(entries) -> set[str]:
    return {entry["title"] for entry in entries}


def test_latest_feed_lists_only_public_threads_sanitized(client, world):
    entries = _entries(client.get("/latest.atom"))
    assert _titles(entries) == {"Shown thread", "Second shown"}
    shown = next(entry for entry in entries if entry["title"] == "Shown thread")
    assert "<strong>bold</strong>" in shown["content"]
    assert "<script" not in shown["content"]
    assert shown["link"].endswith(f"/t/{world['shown'].id}-shown-thread")


def test_signed_in_staff_gets_the_same_public_feed(client, auth, make_user, world):
    auth.sign_in(make_user(role=Role.admin))
    assert _titles(_entries(client.get("/latest.atom"))) == {"Shown thread", "Second shown"}


def test_solved_feed_lists_solved_threads_of_the_category(client, world):
    shown = world["shown"]
    shown.state, shown.solved_at = ThreadState.solved, utcnow()
    db.session.commit()
    entries = _entries(client.get(f"/c/{world['public'].slug}/solved.atom"))
    assert _titles(entries) == {"Shown thread"}


@pytest.mark.parametrize("visibility", ["members", "customers", "staff"])
def test_feeds_of_gated_categories_are_404(client, auth, make_user, make_category, visibility):
    gated = make_category(visibility=visibility)
    auth.sign_in(make_user(role=Role.admin))  # even for someone who may read it: feeds are public-only
    assert client.get(f"/c/{gated.slug}/solved.atom").status_code == 404


def test_feed_of_deleted_or_unknown_category_is_404(client, world):
    assert client.get(f"/c/{world['gone'].slug}/solved.atom").status_code == 404
    assert client.get("/c/no-such-thing/solved.atom").status_code == 404


def test_pages_link_their_feeds_in_the_head(client, world, make_category):
    home = client.get("/").get_data(as_text=True)
    assert 'rel="alternate" type="application/atom+xml"' in home and "/latest.atom" in home
    page = client.get(f"/c/{world['public'].slug}").get_data(as_text=True)
    assert f"/c/{world['public'].slug}/solved.atom" in page


def test_old_category_slug_redirects_to_the_current_feed(client, make_category):
    from community.models import CategorySlug

    category = make_category()
    db.session.add(CategorySlug(slug="old-name", category_id=category.id))
    db.session.commit()
    response = client.get("/c/old-name/solved.atom")
    assert response.status_code == 301
    assert response.headers["Location"].endswith(f"/c/{category.slug}/solved.atom")


def test_a_control_character_in_a_title_leaves_the_feed_parseable(client, make_thread, make_category):
    # XML 1.0 forbids U+000C even escaped; one such title used to make the whole feed unreadable.
    import xml.etree.ElementTree as ElementTree

    category = make_category(name="Feeds")
    make_thread(category=category, title="<svg\x0conload=alert(1)>", body="form\x0cfeed \x01 body")
    body = client.get("/latest.atom").get_data(as_text=True)
    titles = [node.text for node in ElementTree.fromstring(body).iter("{http://www.w3.org/2005/Atom}title")]
    assert "<svg\x0conload=alert(1)>" not in titles and "<svgonload=alert(1)>" in titles
