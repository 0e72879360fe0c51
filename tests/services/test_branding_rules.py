"""Branding rules for admin-written content (issue 22, item 5): custom CSS and footer links are
refused on save with a field error that keeps what the admin typed, and checked again when
served, for rows saved before the rules."""
from __future__ import annotations

import pytest
from markupsafe import escape

from community.errors import ValidationFailed
from community.services import branding
from community.services.branding import clean_branding, is_footer_url, save_branding, update_branding

FORM = {"name": "Acme Help", "tagline": "", "primary_color": "#123abc", "accent_color": "#f0a",
        "footer_text": "", "custom_css": "", "base_url": "https://help.acme.example", "footer_links": []}


@pytest.fixture
def admin_client(client, auth, make_user):
    auth.sign_in(make_user(role="admin"))
    return client


def test_custom_css_with_an_expression_is_refused_with_a_field_error(app, make_user):
    with pytest.raises(ValidationFailed) as failure:
        update_branding(make_user(role="admin"), {**FORM, "custom_css": r"a{width:\65xpression(alert(1))}"})
    assert "expression() is not allowed" in failure.value.fields["custom_css"]


def test_custom_css_may_load_from_the_branding_base_url_and_the_allowed_hosts(app):
    css = "a{background:url(https://help.acme.example/a.png)} b{background:url(https://cdn.acme.example/b.png)}"
    assert "custom_css" in clean_branding({**FORM, "custom_css": css})[1]  # cdn is not allowed yet
    app.config["BRAND_CSS_ALLOWED_HOSTS"] = "cdn.acme.example"
    assert "custom_css" not in clean_branding({**FORM, "custom_css": css})[1]


def test_the_css_error_says_how_many_more_problems_there_are(app):
    css = "a{behavior:url(x.htc)}\nb{background:url(javascript:x)}\nc{-moz-binding:url(y)}"
    error = clean_branding({**FORM, "custom_css": css})[1]["custom_css"]
    assert error.startswith("Line 1: The behavior property") and error.endswith("(and 2 more)")


def test_the_admin_form_shows_the_css_error_and_keeps_what_was_typed(admin_client):
    css = "a{background:url(https://evil.example/x.png)}"
    data = {**FORM, "custom_css": css, "footer_label": [], "footer_url": []}
    response = admin_client.post("/admin/settings", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="e-custom_css"' in page and "is on another site" in page
    assert f">{escape(css)}</textarea>" in page
    assert branding.get_branding()["custom_css"] == ""  # nothing saved


def test_brand_css_drops_what_an_old_row_holds_against_the_rules(client):
    save_branding({"custom_css": "a{color:red;width:expression(alert(1))}\n@import url(https://evil.example/x.css);"})
    css = client.get("/brand.css").get_data(as_text=True)
    assert "a{color:red;/* Parley dropped a declaration: expression() is not allowed. */}" in css
    assert "evil.example/x.css)" not in css and "@import may only load" in css
    assert "--brand-primary:" in css  # the colours are still served


@pytest.mark.parametrize("url", [
    "https://status.acme.example", "HTTP://acme.example/x", "/about", "mailto:help@acme.example",
    "MailTo:help@acme.example?subject=Hi",
])
def test_footer_links_may_be_http_mailto_or_a_site_path(app, url):
    assert is_footer_url(url)
    values, errors = clean_branding({**FORM, "footer_links": [{"label": "Link", "url": url}]})
    assert "footer_links" not in errors and values["footer_links"] == [{"label": "Link", "url": url}]


@pytest.mark.parametrize("url", [
    "javascript:alert(1)", "JaVaScRiPt:alert(1)", "java\tscript:alert(1)", "\x01javascript:alert(1)",
    "data:text/html,<script>alert(1)</script>", "vbscript:msgbox(1)", "//evil.example", "/\\evil.example",
    "mailto:", "mailto:<script>@x", "ftp://files.example", " javascript:alert(1)",
])
def test_other_footer_links_are_refused(app, url):
    errors = clean_branding({**FORM, "footer_links": [{"label": "Link", "url": url}]})[1]
    assert "is not allowed" in errors["footer_links"]
    assert not is_footer_url(url)


def test_the_footer_leaves_out_a_link_an_old_row_saved_before_the_rule(client):
    save_branding({"footer_links": [{"label": "Bad", "url": "javascript:alert(1)"},
                                     {"label": "Mail us", "url": "mailto:help@acme.example"}]})
    page = client.get("/").get_data(as_text=True)
    assert "javascript:alert" not in page and ">Bad</a>" not in page
    assert '<a href="mailto:help@acme.example" rel="noopener">Mail us</a>' in page

