"""The admin-area blueprints sit behind one guard (web/guards.py): anonymous visitors go to sign in,
members without the right get 403 with the blueprint's message, the right role gets the page."""
import pytest

GUARDED = {
    "/admin/": ("admin", "Only administrators can open the admin pages."),
    "/widgets/": ("marketer", "Only marketers and administrators can manage widgets."),
    "/admin/webhooks": ("admin", "Only administrators can manage webhooks."),
}
VIEWERS = ["anonymous", "customer", "staff", "marketer", "admin"]
ALLOWED = {"/admin/": {"admin"}, "/widgets/": {"marketer", "admin"}, "/admin/webhooks": {"admin"}}


@pytest.mark.parametrize("viewer", VIEWERS)
@pytest.mark.parametrize("path", list(GUARDED))
def test_guarded_blueprints(client, auth, make_user, path, viewer):
    if viewer != "anonymous":
        auth.sign_in(make_user(role=viewer))
    response = client.get(path)
    if viewer == "anonymous":
        assert response.status_code == 302
        assert "/sign-in" in response.headers["Location"] and "next=" in response.headers["Location"]
    elif viewer in ALLOWED[path]:
        assert response.status_code == 200
    else:
        assert response.status_code == 403
        assert GUARDED[path][1] in response.get_data(as_text=True)
