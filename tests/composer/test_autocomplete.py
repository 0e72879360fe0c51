"""@ and # suggestions (community/composer/autocomplete.py): by username or display name, only people
who may be mentioned where one writes, only tags and categories the writer may see."""
from __future__ import annotations

import pytest

from community.composer import autocomplete
from community.errors import NotFound, PermissionDenied
from community.extensions import db
from community.models import Visibility
from community.services import posts, threads
from community.tags import service as tag_service


def _names(found) -> list[str]:
    return [person.username for person in found]


@pytest.fixture
def people(make_user):
    return {
        "writer": make_user(username="writer", display_name="Wendy Writer"),
        "tnowak": make_user(username="tnowak", display_name="Tomasz Nowak"),
        "tom": make_user(username="tom", display_name="Tom Jones"),
        "staff": make_user(username="tomstaff", display_name="Tomás Staff", role="staff"),
        "annat": make_user(username="annat", display_name="Anna Tomlinson"),
    }


def test_matches_the_start_of_a_username_or_of_a_display_name_word(people):
    found = _names(autocomplete.people(people["writer"], "tom"))
    assert found[0] == "tom"  # the exact username first
    assert set(found) == {"tom", "tomstaff", "tnowak", "annat"}
    assert _names(autocomplete.people(people["writer"], "nowak")) == ["tnowak"]
    assert _names(autocomplete.people(people["writer"], "@Tomasz")) == ["tnowak"]


def test_like_wildcards_are_plain_characters(people):
    assert autocomplete.people(people["writer"], "%") == []
    assert autocomplete.people(people["writer"], "_o") == []


def test_the_writer_banned_and_deleted_accounts_are_not_offered(people):
    people["tom"].is_banned = True
    people["annat"].deleted_at = people["annat"].created_at
    db.session.commit()
    assert set(_names(autocomplete.people(people["writer"], "tom"))) == {"tomstaff", "tnowak"}
    assert autocomplete.people(people["writer"], "writer") == []


def test_in_a_private_thread_only_who_can_read_it_is_offered(people, make_category):
    private = threads.create_thread(people["writer"], make_category().id, "My invoice", "Private details.", is_private=True)
    assert _names(autocomplete.people(people["writer"], "tom", thread_id=private.id)) == ["tomstaff"]


def test_in_a_gated_category_only_its_readers_are_offered(people, make_category):
    gated = make_category(visibility=Visibility.customers)
    people["tom"].is_verified_customer = people["writer"].is_verified_customer = True
    db.session.commit()
    assert set(_names(autocomplete.people(people["writer"], "tom", category_id=gated.id))) == {"tom", "tomstaff"}
    thread = threads.create_thread(people["writer"], gated.id, "Licence keys", "Where is mine?")
    assert set(_names(autocomplete.people(people["writer"], "tom", thread_id=thread.id))) == {"tom", "tomstaff"}


def test_a_thread_or_category_the_writer_cannot_read_is_not_found(people, make_category):
    gated = make_category(visibility=Visibility.staff)
    thread = threads.create_thread(people["staff"], gated.id, "Staff only", "Body.")
    with pytest.raises(NotFound):
        autocomplete.people(people["writer"], "tom", thread_id=thread.id)
    with pytest.raises(NotFound):
        autocomplete.people(people["writer"], "tom", category_id=gated.id)
    with pytest.raises(NotFound):
        autocomplete.people(people["writer"], "tom", thread_id=987654)


def test_no_query_yet_offers_the_threads_recent_posters(people, make_category):
    thread = threads.create_thread(people["tnowak"], make_category().id, "Printer", "Offline.")
    posts.create_reply(people["annat"], thread.id, "Same here.")
    assert _names(autocomplete.people(people["writer"], "", thread_id=thread.id)) == ["annat", "tnowak"]
    assert autocomplete.people(people["writer"], "") == []


def test_anonymous_gets_no_suggestions():
    with pytest.raises(PermissionDenied):
        autocomplete.people(None, "tom")
    with pytest.raises(PermissionDenied):
        autocomplete.hashtags(None, "b")


def test_hashtags_offer_readable_categories_and_known_tags(people, make_category):
    admin = people["staff"]
    admin.role = "admin"
    db.session.commit()
    public, staff_only = make_category(name="Billing questions"), make_category(name="Billing internal", visibility=Visibility.staff)
    tag_service.save_settings(admin, free_tags=True)
    threads.create_thread(admin, staff_only.id, "Refund policy", "Internal.", tags="billing-secret")  # a free tag
    tag_service.add_official(admin, "billing")
    found = [(tag.kind, tag.name) for tag in autocomplete.hashtags(people["writer"], "bil")]
    assert ("category", public.name) in found and ("tag", "billing") in found
    assert ("category", staff_only.name) not in found and ("tag", "billing-secret") not in found
    staff_found = [(tag.kind, tag.name) for tag in autocomplete.hashtags(admin, "#bil")]
    assert ("category", staff_only.name) in staff_found and ("tag", "billing-secret") in staff_found


def test_the_mentions_endpoint_gives_usernames_avatars_and_the_markdown(client, auth, people):
    auth.sign_in(people["writer"])
    body = client.get("/composer/mentions?q=tomasz").get_json()
    assert body == {"suggestions": [{
        "username": "tnowak", "display_name": "Tomasz Nowak", "avatar": f"/avatars/{people['tnowak'].id}.svg",
        "markdown": "@tnowak",
    }]}


def test_the_hashtags_endpoint_gives_links_as_markdown(client, auth, people, make_category):
    category = make_category(name="Printers")
    auth.sign_in(people["writer"])
    body = client.get("/composer/hashtags?q=print").get_json()
    assert body["suggestions"] == [{"kind": "category", "name": "Printers", "url": f"/c/{category.slug}",
                                    "markdown": f"[#Printers](/c/{category.slug})"}]


def test_a_picked_display_name_posts_as_a_mention_link(client, auth, people, make_category):
    """The composer inserts the suggestion's markdown: the reply links the person and notifies them."""
    thread = threads.create_thread(people["tnowak"], make_category().id, "Printer", "Offline.")
    auth.sign_in(people["writer"])
    picked = client.get(f"/composer/mentions?q=Tomasz&thread={thread.id}").get_json()["suggestions"][0]["markdown"]
    reply = posts.create_reply(people["writer"], thread.id, f"{picked} did you restart it?")
    assert 'href="/u/tnowak"' in reply.body_html and 'class="mention"' in reply.body_html
