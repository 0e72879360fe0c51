from community import create_app
from community.models import Category


def test_home_page_renders_with_brand_name(client):
    response = client.get("/")
    assert response.status_code == 200
    assert b"Parley Community" in response.data


def test_factories_write_rows_on_each_backend(app, make_thread, db_backend):
    thread = make_thread(title="How do I rotate my API key?")
    from community.extensions import db

    assert db.session.get(Category, thread.category_id).thread_count == 1
    assert db.engine.dialect.name == ("postgresql" if db_backend == "postgres" else "sqlite")


def test_settings_come_from_environment_then_overrides(tmp_path, monkeypatch):
    monkeypatch.setenv("COMMUNITY_TITLE_MAX_LENGTH", "99")
    monkeypatch.setenv("COMMUNITY_BASE_URL", "https://help.example.com")
    app = create_app({"INSTANCE_PATH": str(tmp_path), "BASE_URL": "https://override.example.com"})
    assert app.config["TITLE_MAX_LENGTH"] == 99
    assert app.config["BASE_URL"] == "https://override.example.com"
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert (tmp_path / "secret_key").exists()
