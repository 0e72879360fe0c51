"""Category service: slugs and their redirects, ordering, soft delete, permissions, counters."""
import pytest
from sqlalchemy import select

from community import policies
from community.errors import PermissionDenied, ValidationFailed
from community.extensions import db
from community.models import CategorySlug
from community.services import categories as service
from community.services.categories import CategoryInput


@pytest.fixture
def admin(make_user):
    return make_user(role="admin")


def _create(admin, name, slug="", **extra):
    return service.create_category(admin, CategoryInput(name=name, slug=slug, **extra))


def _rename_slug(admin, category, slug):
    data = CategoryInput(category.name, slug, category.description, category.visibility.value, "")
    return service.update_category(admin, category.id, data)


def test_slug_change_keeps_a_redirect_and_old_slugs_can_be_taken_over(admin):
    dns = _create(admin, "DNS")
    _rename_slug(admin, dns, "dns-and-domains")
    assert db.session.get(CategorySlug, "dns").category_id == dns.id

    # Back to a slug it used before: that redirect row goes, the newer old slug stays.
    _rename_slug(admin, dns, "dns")
    assert db.session.get(CategorySlug, "dns") is None
    assert db.session.get(CategorySlug, "dns-and-domains").category_id == dns.id

    # A new category may take an old slug; the redirect is removed so the slug is unique again.
    domains = _create(admin, "Domains", slug="dns-and-domains")
    assert domains.slug == "dns-and-domains"
    assert db.session.get(CategorySlug, "dns-and-domains") is None


def test_current_slugs_are_unique_and_well_formed(admin):
    _create(admin, "Billing")
    with pytest.raises(ValidationFailed) as taken:
        _create(admin, "Billing again", slug="billing")
    assert "already used" in taken.value.fields["slug"]
    with pytest.raises(ValidationFailed) as bad:
        _create(admin, "x", slug="Not A Slug!", visibility="secret")
    assert set(bad.value.fields) == {"slug", "visibility"}


def test_positions_stay_dense_when_moving_and_deleting(admin):
    a, b, c = (_create(admin, name) for name in ("A", "B", "C"))
    service.move_category(admin, c.id, "up")
    assert [x.name for x in service.ordered_categories()] == ["A", "C", "B"]
    service.move_category(admin, a.id, "up")  # already first: stays
    service.update_category(admin, b.id, CategoryInput("B", "b", "", "public", "1"))
    assert [(x.name, x.position) for x in service.ordered_categories()] == [("B", 1), ("A", 2), ("C", 3)]
    service.delete_category(admin, a.id)
    assert [(x.name, x.position) for x in service.ordered_categories()] == [("B", 1), ("C", 2)]


def test_soft_deleted_category_is_hidden_from_everyone_but_staff(admin, make_user):
    category = _create(admin, "Old news")
    service.delete_category(admin, category.id)
    assert not policies.can_read_category(None, category)
    assert not policies.can_read_category(make_user(verified_customer=True), category)
    assert policies.can_read_category(make_user(role="staff"), category)


@pytest.mark.parametrize("role", ["customer", "staff", "moderator", None])
def test_only_admins_manage_categories(make_user, make_category, role):
    actor = make_user(role=role) if role else None
    category = make_category()
    for call in (
        lambda: service.create_category(actor, CategoryInput(name="New")),
        lambda: service.delete_category(actor, category.id),
        lambda: service.move_category(actor, category.id, "up"),
    ):
        with pytest.raises(PermissionDenied):
            call()


def test_recount_matches_rows(make_thread, make_post):
    thread = make_thread()
    make_post(thread=thread)
    last = make_post(thread=thread)
    thread.reply_count = 0
    thread.category.post_count = 0
    db.session.commit()
    service.recount_threads({thread.id})
    service.recount_categories({thread.category_id})
    db.session.commit()
    db.session.expire_all()
    assert (thread.reply_count, thread.last_post_id) == (2, last.id)
    assert (thread.category.thread_count, thread.category.post_count) == (1, 3)
    assert db.session.scalar(select(CategorySlug)) is None
