"""A database that does not answer gives a fast 503 (HTML page or JSON), never a 500."""
from __future__ import annotations

import pytest

from community import create_app

from ..conftest import free_port


@pytest.fixture
def dead_db_app(app):
    settings = {**app.config, "DATABASE_URL": f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/gone"}
    broken = create_app(settings)
    yield broken
    broken.extensions["community.engine"].dispose()


@pytest.mark.backends("sqlite")
def test_pages_get_a_branded_503_page_when_the_database_is_down(dead_db_app):
    client = dead_db_app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = "1:0"  # a signed-in visitor: loading the user fails too
    response = client.get("/")
    assert response.status_code == 503 and response.mimetype == "text/html"
    assert response.headers["Retry-After"] == "5"
    assert "briefly unavailable" in response.get_data(as_text=True)


@pytest.mark.backends("sqlite")
def test_json_clients_get_a_json_503_when_the_database_is_down(dead_db_app):
    client = dead_db_app.test_client()
    response = client.post("/t/1/reply", data={"body": "hello"}, headers={"Accept": "application/json"})
    assert response.status_code == 503
    assert response.json["error"]["code"] == "database_unavailable"
    ready = client.get("/readyz")
    assert ready.status_code == 503 and ready.json["checks"]["database"].startswith("error")
