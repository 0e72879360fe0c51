"""Search tests run on every backend: Whoosh on SQLite and PostgreSQL, the PostgreSQL backend on
PostgreSQL only (it needs tsvector)."""
from __future__ import annotations

import pytest

SEARCH_BACKENDS = ("whoosh", "postgres")


def pytest_generate_tests(metafunc):
    if "search_backend" in metafunc.fixturenames:
        metafunc.parametrize("search_backend", SEARCH_BACKENDS, scope="function")


def pytest_collection_modifyitems(config, items):
    keep, dropped = [], []
    for item in items:
        params = getattr(item, "callspec", None) and item.callspec.params
        if params and params.get("search_backend") == "postgres" and params.get("db_backend") == "sqlite":
            dropped.append(item)
        else:
            keep.append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = keep


@pytest.fixture
def app_overrides(search_backend):
    return {"SEARCH_BACKEND": search_backend}
