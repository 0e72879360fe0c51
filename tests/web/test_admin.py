"""Admin dashboard and category pages: who may open them, and category CRUD through the forms."""
import pytest
from sqlalchemy import select

from community.extensions import db
from community.models import Category, CategorySlug, Visibility

ADMIN_PAGES = ["/admin/", "/admin/settings", "/admin/categories", "/admin/categories/new"]


@pytest.mark.backends("sqlite")  # who may open a page does not depend on the database
@pytest.mark.parametrize("path", ADMIN_PAGES)
@pytest.mark.parametrize(
    "role, expected", [(None, 302), ("customer", 403), ("staff", 403), ("moderator", 403), ("admin", 200)]
)
def test_admin_pages_are_for_admins_only(client, auth, make_user, path, role, expected):
    if role:
        auth.sign_in(make_user(role=role))
    response = client.get(path)
    assert response.status_code == expected
    if role is None:
        assert "/sign-in" in response.headers["Location"]


@pytest.mark.parametrize("role", ["customer", "staff"])
def test_non_admin_posts_change_nothing(client, auth, make_user, make_category, role):
    category = make_category(name="Billing")
    auth.sign_in(make_user(role=role))
    assert client.post("/admin/settings", data={"name": "Hacked", "primary_color": "#000"}).status_code == 403
    assert client.post(f"/admin/categories/{category.id}/delete").status_code == 403
    assert client.post("/admin/categories/new", data={"name": "Sneaky"}).status_code == 403
    db.session.expire_all()
    assert db.session.get(Category, category.id).deleted_at is None
    assert db.session.scalar(select(Category).where(Category.name == "Sneaky")) is None


@pytest.fixture
def admin_client(client, auth, make_user):
    auth.sign_in(make_user(role="admin"))
    return client


def test_dashboard_links_to_settings_categories_and_users(admin_client):
    page = admin_client.get("/admin/").get_data(as_text=True)
    for href in ("/admin/settings", "/admin/categories", "/admin/users/"):
        assert f'href="{href}"' in page


def test_create_edit_reorder_and_delete_a_category(admin_client, make_category):
    first = make_category(name="First", position=1)
    response = admin_client.post(
        "/admin/categories/new",
        data={"name": "Billing & Accounts", "slug": "", "description": "Invoices", "visibility": "customers"},
    )
    assert response.status_code == 302
    billing = db.session.scalar(select(Category).where(Category.name == "Billing & Accounts"))
    assert (billing.slug, billing.visibility, billing.position) == ("billing-accounts", Visibility.customers, 2)

    response = admin_client.post(
        f"/admin/categories/{billing.id}/edit",
        data={"name": "Billing", "slug": "billing", "description": "", "visibility": "public", "position": "1"},
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert (billing.name, billing.slug, billing.position) == ("Billing", "billing", 1)
    assert db.session.get(CategorySlug, "billing-accounts").category_id == billing.id
    old_link = admin_client.get("/c/billing-accounts")
    assert old_link.status_code in (301, 308) and old_link.headers["Location"].endswith("/c/billing")
    assert db.session.get(Category, first.id).position == 2

    admin_client.post(f"/admin/categories/{billing.id}/move", data={"direction": "down"})
    db.session.expire_all()
    assert [c.name for c in db.session.scalars(select(Category).order_by(Category.position))] == ["First", "Billing"]

    listing = admin_client.get("/admin/categories").get_data(as_text=True)
    assert "Billing" in listing and "billing" in listing
    assert admin_client.post(f"/admin/categories/{billing.id}/delete").status_code == 302
    db.session.expire_all()
    assert db.session.get(Category, billing.id).deleted_at is not None
    assert "Deleted categories" in admin_client.get("/admin/categories").get_data(as_text=True)
    admin_client.post(f"/admin/categories/{billing.id}/restore")
    db.session.expire_all()
    assert db.session.get(Category, billing.id).deleted_at is None


def test_invalid_category_form_keeps_values(admin_client, make_category):
    taken = make_category(name="Taken")
    response = admin_client.post(
        "/admin/categories/new",
        data={"name": "Mine", "slug": taken.slug, "description": "kept words", "visibility": "staff", "position": "x"},
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "is already used by another category" in page
    assert "Use a whole number" in page
    assert 'value="Mine"' in page and "kept words" in page
    assert '<option value="staff" selected>' in page


def test_missing_category_is_404(admin_client):
    assert admin_client.get("/admin/categories/999/edit").status_code == 404
    assert admin_client.post("/admin/categories/999/delete").status_code == 404
