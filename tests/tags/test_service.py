"""Tags: names normalised, at most five, from the staff list unless free tags are allowed, and
visible only where the reader may read."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from community.errors import PermissionDenied, ValidationFailed
from community.extensions import db
from community.models import AuditEntry, Role, Tag, Thread, Visibility
from community.services import posts, threads
from community.tags import service
from community.tags.service import UnknownTag


@pytest.fixture
def admin(make_user):
    return make_user(role=Role.admin)


@pytest.fixture
def listed(admin):
    """The staff-defined list: dns, ssl, billing."""
    return [service.add_official(admin, name) for name in ("DNS", " ssl ", "billing")]


def test_names_are_lower_case_trimmed_and_hyphenated():
    assert service.parse_names(" DNS ,Load  Balancer, load_balancer,,  ") == (["dns", "load-balancer"], None)


@pytest.mark.parametrize("raw, problem", [
    ("c++", "can only use letters"),
    ("-dns", "can only use letters"),
    ("dns..ssl", "can only use letters"),
    ("<script>", "can only use letters"),
    ("x" * 31, "at most 30 characters"),
    ("a, b, c, d, e, f", "at most 5 tags; you gave 6"),
])
def test_bad_names_and_too_many_tags_are_refused_with_a_reason(raw, problem):
    assert problem in service.parse_names(raw)[1]


def test_a_thread_takes_tags_from_the_list(make_user, make_category, listed):
    thread = threads.create_thread(make_user(), make_category().id, "Records", "Body text.", tags="ssl, DNS")
    db.session.expire_all()
    assert [tag.name for tag in db.session.get(Thread, thread.id).tags] == ["dns", "ssl"]


def test_a_name_off_the_list_is_refused_and_no_thread_or_tag_is_made(make_user, make_category, listed):
    with pytest.raises(ValidationFailed) as failure:
        threads.create_thread(make_user(), make_category().id, "Records", "", tags="dns, kubernetes")
    assert "“kubernetes” is not one of this community's tags" in failure.value.fields["tags"]
    assert "body" in failure.value.fields  # every problem at once
    db.session.rollback()
    assert db.session.scalar(select(Thread.id)) is None
    assert db.session.scalar(select(Tag).where(Tag.name == "kubernetes")) is None


def test_free_tags_make_new_unofficial_tags_when_the_admin_allows_them(make_user, make_category, admin, listed):
    service.save_settings(admin, True)
    thread = threads.create_thread(make_user(), make_category().id, "Pods", "Body text.", tags="Kubernetes, dns")
    new = db.session.scalar(select(Tag).where(Tag.name == "kubernetes"))
    assert new is not None and not new.is_official
    assert [tag.name for tag in thread.tags] == ["dns", "kubernetes"]
    assert db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id.desc())).first() == "settings.tags"


def test_only_admins_manage_the_list(make_user):
    with pytest.raises(PermissionDenied):
        service.add_official(make_user(role=Role.staff), "dns")
    with pytest.raises(PermissionDenied):
        service.save_settings(make_user(), True)


def test_adding_a_listed_tag_twice_or_a_bad_name_says_why(admin, listed):
    with pytest.raises(ValidationFailed, match="on the list already"):
        service.add_official(admin, "dns")
    with pytest.raises(ValidationFailed, match="can only use"):
        service.add_official(admin, "no/slash")


def test_deleting_a_tag_takes_it_off_every_thread(make_user, make_category, admin, listed):
    thread = threads.create_thread(make_user(), make_category().id, "Records", "Body text.", tags="dns, ssl")
    service.delete_tag(admin, listed[0].id)
    db.session.expire_all()
    assert [tag.name for tag in db.session.get(Thread, thread.id).tags] == ["ssl"]


def test_the_author_and_staff_edit_the_tags_with_the_opening_post(make_user, make_category, listed):
    author = make_user()
    thread = threads.create_thread(author, make_category().id, "Records", "Body text.", tags="dns")
    opening = db.session.scalar(select(Thread).where(Thread.id == thread.id)).last_post_id
    posts.edit_post(author, opening, "Body text.", tags="ssl, billing")  # tags alone changed
    db.session.expire_all()
    assert [tag.name for tag in db.session.get(Thread, thread.id).tags] == ["billing", "ssl"]
    posts.edit_post(make_user(role=Role.staff), opening, "Body text.", tags="")
    db.session.expire_all()
    assert db.session.get(Thread, thread.id).tags == []
    with pytest.raises(PermissionDenied):
        posts.edit_post(make_user(), opening, "Body text.", tags="dns")


def test_a_tag_only_hidden_threads_carry_is_unknown_to_readers_who_cannot_see_them(
    make_user, make_category, admin
):
    service.save_settings(admin, True)
    staff_room = make_category(visibility=Visibility.staff)
    threads.create_thread(admin, staff_room.id, "Rota", "Body text.", tags="rota")
    asker = make_user()
    threads.create_thread(asker, make_category().id, "Mine", "Body text.", tags="secret-project", is_private=True)
    for reader in (None, make_user()):
        for name in ("rota", "secret-project", "never-made"):
            with pytest.raises(UnknownTag):
                service.tag_for_viewer(reader, name)
    assert service.tag_for_viewer(admin, "rota").name == "rota"
    assert service.tag_for_viewer(asker, "secret-project").name == "secret-project"


def test_the_tag_page_lists_only_threads_the_reader_may_read(make_user, make_category, make_thread, admin, listed):
    author = make_user()
    public = threads.create_thread(author, make_category().id, "Open", "Body text.", tags="dns")
    gated = make_thread(category=make_category(visibility=Visibility.customers))
    gated.tags = [listed[0]]
    db.session.commit()
    threads.create_thread(author, make_category().id, "Private", "Body text.", tags="dns", is_private=True)
    page = service.tag_threads(make_user(), listed[0], 1)
    assert [thread.id for thread in page.items] == [public.id] and page.total == 1
    assert service.tag_threads(author, listed[0], 1).total == 2  # their own private one too
    assert service.tag_threads(admin, listed[0], 1).total == 3
    assert service.readable_tag_counts(None) == [("dns", 1)]
