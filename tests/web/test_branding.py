"""Admin branding settings: saved values reach every page and /brand.css; bad input is re-rendered."""
import io
from types import SimpleNamespace

import pytest
from markupsafe import escape
from PIL import Image

from community.extensions import db
from community.models import SiteSetting
from community.services.branding import get_branding
from community.services.mail import base_url as email_base_url
from community.services.mail import build_message

VALID = {
    "name": "Acme Help Hub",
    "tagline": "Answers from Acme and friends",
    "primary_color": "#123abc",
    "accent_color": "#f0a",
    "footer_text": "© Acme Inc.",
    "custom_css": ".brand-name { letter-spacing: 1px; }",
    "base_url": "https://help.acme.example/",
    "footer_label": ["Status", "About"],
    "footer_url": ["https://status.acme.example", "/about"],
}


def _png(size=(40, 20), fmt="PNG") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (10, 200, 30)).save(out, format=fmt)
    return out.getvalue()


@pytest.fixture
def admin_client(client, auth, make_user):
    auth.sign_in(make_user(role="admin"))
    return client


def test_saved_branding_shows_on_pages_and_in_brand_css(admin_client):
    response = admin_client.post("/admin/settings", data=VALID)
    assert response.status_code == 302

    page = admin_client.get("/admin/").get_data(as_text=True)
    assert "Acme Help Hub" in page
    assert 'href="https://status.acme.example"' in page and 'href="/about"' in page
    assert "© Acme Inc." in page
    css = admin_client.get("/brand.css").get_data(as_text=True)
    assert "--brand-primary:#123abc" in css and "--brand-accent:#f0a" in css
    assert ".brand-name { letter-spacing: 1px; }" in css
    home = admin_client.get("/")
    assert home.status_code == 200 and "Acme Help Hub" in home.get_data(as_text=True)
    stored = db.session.get(SiteSetting, "branding").value
    assert stored["base_url"] == "https://help.acme.example"
    assert email_base_url() == "https://help.acme.example"  # links in emails follow the setting
    email = build_message("someone@example.com", "Welcome", "verify_email", {"verify_url": "https://x", "user": SimpleNamespace(display_name="Ana")})
    assert "Acme Help Hub" in email["From"]
    html = email.get_body(("html",)).get_content()
    assert "#123abc" in html and "https://help.acme.example" in html
    assert get_branding()["footer_links"] == [
        {"label": "Status", "url": "https://status.acme.example"}, {"label": "About", "url": "/about"},
    ]


@pytest.mark.backends("sqlite")  # validation happens before anything is stored
@pytest.mark.parametrize(
    "changes, field, message",
    [
        ({"primary_color": "blue"}, "primary_color", "Use a colour like"),
        ({"accent_color": "#12345"}, "accent_color", "Use a colour like"),
        ({"base_url": "javascript:alert(1)"}, "base_url", "http:// or https://"),
        ({"base_url": "ftp://files.example"}, "base_url", "http:// or https://"),
        ({"custom_css": "a{}" * 7000}, "custom_css", "limited to 20,000 bytes"),
        ({"footer_url": ["javascript:alert(1)", "/about"]}, "footer_links", "is not allowed"),
        ({"footer_url": ["//evil.example", "/about"]}, "footer_links", "is not allowed"),
        ({"footer_label": ["", "About"]}, "footer_links", "needs both a label and a URL"),
        ({"name": "  "}, "name", "needs a name"),
    ],
)
def test_bad_input_is_rerendered_with_messages_and_values_kept(admin_client, changes, field, message):
    data = {**VALID, "tagline": "Typed tagline stays", **changes}
    response = admin_client.post("/admin/settings", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in page
    assert f'id="e-{field}"' in page  # the message sits by its field
    assert 'value="Typed tagline stays"' in page
    for value in changes.values():
        shown = value[0] if isinstance(value, list) else value
        if shown.strip() and len(shown) < 200:
            assert f'value="{escape(shown)}"' in page
    assert db.session.get(SiteSetting, "branding") is None


def test_non_image_logo_is_refused(admin_client):
    data = {**VALID, "logo": (io.BytesIO(b"<svg onload=alert(1)></svg>"), "logo.png")}
    response = admin_client.post("/admin/settings", data=data, content_type="multipart/form-data")
    assert response.status_code == 422
    assert "not an image we can read" in response.get_data(as_text=True)
    assert 'value="Acme Help Hub"' in response.get_data(as_text=True)


def test_oversized_logo_is_refused(app, admin_client):
    app.config["BRAND_LOGO_MAX_BYTES"] = 1000
    data = {**VALID, "logo": (io.BytesIO(_png() + b"\0" * 2000), "logo.png")}
    response = admin_client.post("/admin/settings", data=data, content_type="multipart/form-data")
    assert response.status_code == 422
    assert "must be smaller than" in response.get_data(as_text=True)


def test_logo_is_reencoded_to_png_and_served(admin_client):
    data = {**VALID, "logo": (io.BytesIO(_png(fmt="JPEG")), "logo.jpg")}
    assert admin_client.post("/admin/settings", data=data, content_type="multipart/form-data").status_code == 302
    logo_path = get_branding()["logo_path"]
    assert logo_path.endswith(".png")
    page = admin_client.get("/admin/").get_data(as_text=True)
    assert f'src="/brand/logo/{logo_path}"' in page
    served = admin_client.get(f"/brand/logo/{logo_path}")
    assert served.status_code == 200 and served.mimetype == "image/png"
    assert Image.open(io.BytesIO(served.data)).format == "PNG"

    # Saving again without a file keeps the logo; the checkbox removes it.
    admin_client.post("/admin/settings", data=VALID)
    assert get_branding()["logo_path"] == logo_path
    admin_client.post("/admin/settings", data={**VALID, "remove_logo": "1"})
    assert get_branding()["logo_path"] is None


def test_unknown_logo_is_404(client):
    assert client.get("/brand/logo/nope.png").status_code == 404
    assert client.get("/brand/logo/..%2fsecret_key").status_code == 404
