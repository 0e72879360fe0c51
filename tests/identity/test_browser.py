"""Single sign-on in Chromium, with CSRF on: "Continue with Acme" on the sign-in page, the real
provider's login page, back signed in; sign out here and at the provider. The new pages (sign-in
with its buttons, the link page, a refusal, the end-session offer) pass axe at desktop and phone
widths and the Nu Html Checker."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conftest import require_service
from tests.web import quality

pytestmark = [pytest.mark.backends("sqlite"), pytest.mark.browser]
AXE_RUN = ("axe.configure({noHtml: true}), "
           "axe.run(document, {resultTypes: ['violations']}).then(r => r.violations)")
SHOTS = Path("/tmp/oidc-shots")


@pytest.fixture
def sso_page(browser, live_server, idp):
    require_service(quality.AXE.exists(), "axe-core (make node-deps)")
    idp.register("acme", live_server.url)
    context = browser.new_context()
    context.add_init_script(path=str(quality.AXE))  # under the real CSP, as the quality crawl does
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def _check(page, name: str, pages: dict[str, str]) -> None:
    """axe at both widths, a screenshot each, and the HTML kept for the Nu checker."""
    for width_name, width in quality.WIDTHS.items():
        page.set_viewport_size({"width": width, "height": quality.HEIGHT})
        violations = quality.compact_axe(page.evaluate(AXE_RUN))
        assert violations == [], (name, width_name, violations)
        SHOTS.mkdir(exist_ok=True)
        page.screenshot(path=str(SHOTS / f"{name}-{width_name}.png"), full_page=True)
    pages[name] = page.content()
    page.set_viewport_size({"width": quality.WIDTHS["desktop"], "height": quality.HEIGHT})


def test_continue_with_acme_signs_in_at_the_provider_and_out_again(sso_page, live_server, idp, make_user, tmp_path):
    page, pages, errors = sso_page, {}, []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.goto(f"{live_server.url}/sign-in?next=/search")
    _check(page, "sign-in", pages)
    page.get_by_role("link", name="Continue with Acme").click()
    page.wait_for_url(f"{idp.issuers['acme']}/**")
    page.locator("input[name=login]").fill("alice")
    page.locator("input[name=password]").fill("whatever the provider asks")
    page.get_by_role("button", name="Sign-in").click()
    page.wait_for_url(f"{live_server.url}/search**")
    assert "Signed in as Alice Acme with Acme." in page.content()

    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(f"{live_server.url}/sso/signed-out")
    _check(page, "signed-out", pages)
    page.get_by_role("link", name="Sign out of Acme too").click()
    page.wait_for_url(f"{idp.issuers['acme']}/**")
    page.get_by_role("button", name="Yes, sign me out").click()
    page.wait_for_url(f"{live_server.url}/")
    assert "signed out here and at your sign-in provider" in page.content()

    # The same email has a password account: the provider's sign-in must be proved, never linked by email.
    make_user(email="sam@acme.example.com", password="correct horse battery")
    page.goto(f"{live_server.url}/sign-in")
    page.get_by_role("link", name="Continue with Acme").click()
    page.locator("input[name=login]").fill("sam")
    page.locator("input[name=password]").fill("x")
    page.get_by_role("button", name="Sign-in").click()
    page.wait_for_url(f"{live_server.url}/sso/link")
    _check(page, "link", pages)
    page.get_by_label("Password of the account sam@acme.example.com").fill("correct horse battery")
    page.get_by_role("button", name="Link and sign in").click()
    page.wait_for_url(f"{live_server.url}/")
    assert "Signed in as" in page.content()

    page.goto(f"{live_server.url}/sso/acme/callback?state=forged&code=x")
    _check(page, "refused", pages)
    assert "We could not sign you in" in page.content()
    assert not [e for e in errors if "Content Security Policy" in e], errors

    require_service(quality.VNU.exists(), "vnu.jar (make node-deps)")
    for name, html in pages.items():
        (tmp_path / f"{name}.html").write_text(html)
    problems = {name: found for name, found in quality.run_vnu(tmp_path).items() if found}
    assert problems == {}


def test_the_admin_pages_of_sign_in_providers_pass_axe_and_the_nu_checker(sso_page, live_server, make_user, tmp_path):
    from community.models import Role

    page, pages = sso_page, {}
    make_user(email="root@example.com", password="correct horse battery", role=Role.admin)
    page.goto(f"{live_server.url}/sign-in")
    page.get_by_label("Email address").fill("root@example.com")
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/admin/identity/new")
    page.get_by_label("Slug").fill("Not A Slug")
    page.get_by_role("button", name="Save").click()
    page.get_by_text("Use lower-case letters, digits and dashes.").wait_for()
    _check(page, "admin-form-errors", pages)
    page.get_by_label("Name on the button").fill("Initech")
    page.get_by_label("Slug").fill("initech")
    page.get_by_label("Issuer URL").fill("https://id.initech.example")
    page.get_by_label("Client ID").fill("parley")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(f"{live_server.url}/admin/identity/")
    _check(page, "admin-list", pages)
    page.get_by_role("link", name="Edit Initech").click()
    page.wait_for_url(re.compile(r".*/admin/identity/\d+$"))
    page.get_by_role("heading", name="Edit a sign-in provider").wait_for()
    _check(page, "admin-form", pages)
    for name, html in pages.items():
        (tmp_path / f"{name}.html").write_text(html)
    assert {name: found for name, found in quality.run_vnu(tmp_path).items() if found} == {}
