"""An id too big for the database is a 404 on every route that takes one, never an overflow 500."""
import re

import pytest

HUGE = "99999999999999999999"


def _get_rules_with_int_ids(app):
    for rule in app.url_map.iter_rules():
        if "GET" in rule.methods and "<int:" in rule.rule:
            yield rule


@pytest.mark.backends("sqlite")
def test_every_get_route_answers_404_for_an_id_past_64_bits(app, client, auth, make_user):
    auth.sign_in(make_user(email="staff@example.com", role="admin"))
    checked = 0
    for rule in _get_rules_with_int_ids(app):
        url = re.sub(r"<int:[^>]+>", HUGE, rule.rule)
        url = re.sub(r"<[^>]+>", "x", url)
        response = client.get(url)
        assert response.status_code == 404, (url, response.status_code)
        checked += 1
    assert checked > 10


@pytest.mark.backends("sqlite")
@pytest.mark.parametrize("method, path", [
    ("patch", "/api/v1/posts/4103264474043870724751360"), ("patch", "/api/v1/posts/9223372036854775808"),
    ("post", "/p/99999999999999999999/helpful"),
])
def test_a_huge_id_is_a_404_for_every_method_not_a_405(client, method, path):
    # Werkzeug answers 405 when a converter refuses a value another rule's method would take.
    response = getattr(client, method)(path, json={"body": "x"})
    assert response.status_code == 404, response.get_data(as_text=True)[:200]
