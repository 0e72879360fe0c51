"""Issue 15's HTML bugs: `<time datetime>` to the second, counts with the right noun, breadcrumbs that
end in a link, and one heading level at a time on /categories."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

from community.extensions import db
from community.models import Role, utcnow
from community.services import reactions
from community.web.formatting import counted, iso_time, plural
from tests import factories
from tests.widgets.helpers import BRAND, make_widget

VALID_DATETIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")


def test_iso_time_drops_microseconds_and_says_utc():
    assert iso_time(datetime(2026, 6, 3, 14, 5, 9, 123456)) == "2026-06-03T14:05:09Z"  # naive = UTC
    aware = datetime(2026, 6, 3, 16, 5, 9, 999999, tzinfo=timezone(timedelta(hours=2)))
    assert iso_time(aware) == "2026-06-03T14:05:09Z"
    assert iso_time("2026-06-03T14:05:09.654321+00:00") == "2026-06-03T14:05:09Z"
    assert iso_time(None) == "" and iso_time("") == ""


def test_counted_and_plural_pick_the_noun_by_the_number():
    assert [counted(n, "reply", "replies") for n in (0, 1, 2)] == ["0 replies", "1 reply", "2 replies"]
    assert counted(1, "post") == "1 post" and counted(None, "post") == "0 posts"
    assert plural(1, "person has", "people have") == "person has" and plural(3, "person has", "people have") == "people have"


def test_every_time_element_on_a_thread_and_a_profile_is_valid_html(client, auth):
    author = factories.make_user(username="timekeeper")
    thread = factories.make_thread(author=author, title="Clock drift on my server")
    factories.make_post(thread=thread)
    author.last_seen_at = utcnow()
    db.session.commit()
    auth.sign_in(factories.make_user(role=Role.staff))
    pages = [f"/t/{thread.id}-{thread.slug}", "/u/timekeeper", "/latest", "/staff/audit"]
    values = [value for path in pages for value in re.findall(r'datetime="([^"]*)"', client.get(path).get_data(as_text=True))]
    assert len(values) >= 4
    assert [value for value in values if not VALID_DATETIME.fullmatch(value)] == []


def test_one_reply_is_a_reply_on_listings_the_thread_and_the_category_cards(client):
    category = factories.make_category(name="Singles")
    thread = factories.make_thread(category=category, title="Just one answer here")
    factories.make_post(thread=thread)
    category.post_count = 1
    db.session.commit()
    listing = client.get("/latest").get_data(as_text=True)
    assert "1 reply<" in listing and "1 replies" not in listing
    page = client.get(f"/t/{thread.id}-{thread.slug}").get_data(as_text=True)
    assert "1 replies" not in page and re.search(r"\b1 reply\b", page)
    cards = client.get("/categories").get_data(as_text=True)
    assert "1 thread ·" in cards and "1 post<" in cards and "1 threads" not in cards


def test_widget_cards_say_1_reply(client):
    thread = factories.make_thread(title="Printer with one reply")
    factories.make_post(thread=thread)
    widget = make_widget("latest")
    frame = client.get(f"/embed/w/{widget.id}/frame")
    assert frame.status_code == 200
    html = frame.get_data(as_text=True)
    assert "1 reply<" in html and "1 replies" not in html
    card = client.get(f"/embed/thread/{thread.id}").get_data(as_text=True)
    assert "1 reply ·" in card and "1 replies" not in card
    labels = client.get(f"/embed/w/{widget.id}.json", headers={"Origin": BRAND}).json["labels"]
    assert labels["reply"] == "{n} reply" and labels["replies"] == "{n} replies"


def test_one_person_has_this_problem(client):
    thread = factories.make_thread(title="Same problem counted once")
    reactions.toggle_same_problem(factories.make_user(), thread.id)
    html = client.get(f"/t/{thread.id}-{thread.slug}").get_data(as_text=True)
    assert re.search(r'data-count-for="same-problem">1</span>\s*<span[^>]*>person has this problem', html)
    assert 'data-one="person has this problem" data-many="people have this problem"' in html  # answers.js swaps


def test_breadcrumbs_end_in_a_link_not_a_separator(client, auth):
    thread = factories.make_thread(title="Breadcrumb trail")
    auth.sign_in(factories.make_user(role=Role.admin))
    paths = [f"/c/{thread.category.slug}", f"/t/{thread.id}-{thread.slug}", f"/p/{thread.last_post_id}/edit",
             f"/p/{thread.last_post_id}/revisions"]
    for path in paths:
        html = client.get(path).get_data(as_text=True)
        trail = re.search(r'<nav class="breadcrumbs"[^>]*>(.*?)</nav>', html, re.S).group(1)
        assert "›" not in trail and trail.rstrip().endswith("</a></li></ol>"), path


def test_categories_page_goes_from_h1_to_h2(client):
    factories.make_category(name="Billing")
    levels = [int(level) for level in re.findall(r"<h([1-6])", client.get("/categories").get_data(as_text=True))]
    assert levels[0] == 1 and all(later - earlier <= 1 for earlier, later in zip(levels, levels[1:])), levels
