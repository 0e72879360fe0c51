"""Category descriptions are Markdown (issue 22, item 5), rendered through the posts' sanitizer on
the category list and the category page; the admin form says so."""
from __future__ import annotations

import pytest

from community.content import markdown


@pytest.fixture
def admin_client(client, auth, make_user):
    auth.sign_in(make_user(role="admin"))
    return client


def _category_path(category) -> str:
    return f"/c/{category.slug}"


def test_markdown_in_a_description_is_rendered_on_the_list_and_the_category_page(client, make_category):
    category = make_category(name="Billing", description="Invoices, **refunds** and [plans](https://acme.example/plans).")
    for path in ("/categories", _category_path(category)):
        page = client.get(path).get_data(as_text=True)
        assert "<strong>refunds</strong>" in page, path
        assert '<a href="https://acme.example/plans" rel="nofollow ugc noopener">plans</a>' in page, path
        assert "**refunds**" not in page


def test_html_and_script_links_in_a_description_are_not_let_through(client, make_category):
    category = make_category(
        name="Sneaky", description='<img src=x onerror=alert(1)> [click](javascript:alert(1)) <script>x</script>',
    )
    for path in ("/categories", _category_path(category)):
        page = client.get(path).get_data(as_text=True)
        assert "<img src=x" not in page and "<script>x" not in page, path
        assert 'href="javascript:' not in page, path
        assert "&lt;img src=x onerror=alert(1)&gt;" in page, path  # shown as the text it is


def test_a_plain_text_description_reads_as_before(client, make_category):
    make_category(name="General", description="Everything else & more")
    assert "<p>Everything else &amp; more</p>" in client.get("/categories").get_data(as_text=True)


def test_rendering_is_remembered_per_text(client, auth, make_user, make_category, monkeypatch):
    auth.sign_in(make_user())  # signed in: no page cache answers for Flask
    markdown.render_short_markdown.cache_clear()
    make_category(name="Cached", description="Only **once**")
    renders = []
    real = markdown.render_markdown
    monkeypatch.setattr(markdown, "render_markdown", lambda text: renders.append(text) or real(text))
    first = client.get("/categories").get_data(as_text=True)
    second = client.get("/categories").get_data(as_text=True)
    assert renders == ["Only **once**"]  # the second listing rendered no Markdown
    assert "<strong>once</strong>" in first and "<strong>once</strong>" in second


def test_the_admin_form_says_markdown_works_and_keeps_the_markdown_as_typed(admin_client, make_category):
    category = make_category(name="Billing", description="Use **bold**")
    page = admin_client.get(f"/admin/categories/{category.id}/edit").get_data(as_text=True)
    assert "Markdown works" in page
    assert ">Use **bold**</textarea>" in page
