"""With Redis, a warm widget JSON hit makes no Redis round trip (widgets/cache.py): the
version and the entry are kept in the process. This process's changes are seen at once; another
process's within VERSION_SECONDS."""
from __future__ import annotations

import uuid
from types import SimpleNamespace

import pytest

from community import create_app
from community.extensions import db
from community.widgets import cache as widget_cache
from tests import factories

from .helpers import BRAND, make_widget


@pytest.fixture
def app_overrides(redis_url):
    return {"REDIS_URL": redis_url, "JOB_QUEUE": "inline"}


@pytest.fixture(autouse=True)
def fresh_version(app):
    # Redis outlives the test database: start from a version no earlier test cached under.
    widget_cache._redis().set(widget_cache.version_key(app), int(uuid.uuid4().int % 10**12))


@pytest.fixture
def clock(monkeypatch):
    """widget_cache's monotonic clock, moved by hand."""
    now = [1000.0]
    monkeypatch.setattr(widget_cache, "time", SimpleNamespace(monotonic=lambda: now[0]))
    return now


@pytest.fixture
def redis_calls(app, monkeypatch):
    """Count commands the fast path sends to Redis."""
    calls = []
    real = widget_cache._redis_of(app)

    class Counting:
        def __getattr__(self, name):
            calls.append(name)
            return getattr(real, name)

    monkeypatch.setattr(widget_cache, "_redis_of", lambda _app: Counting())
    return calls


def _titles(client, widget) -> list[str]:
    response = client.get(f"/embed/w/{widget.id}.json", headers={"Origin": BRAND})
    assert response.status_code == 200
    return [item["title"] for item in response.json["items"]]


def _other_worker(app, **settings):
    """A second app on the same database and Redis stands in for another gunicorn worker (another
    site, given another DATABASE_URL)."""
    keys = ("DATABASE_URL", "SECRET_KEY", "SEARCH_INDEX_DIR", "REDIS_URL", "INSTANCE_PATH")
    return create_app({**{k: app.config[k] for k in keys}, "TESTING": True, "JOB_QUEUE": "inline",
                       "JOBS_RUN_IMMEDIATELY": True, "SEED_DEMO": False, "SPAM_CHECKS_ENABLED": False,
                       "RATELIMIT_ENABLED": False, **settings})


def test_a_warm_hit_makes_no_redis_call(client, make_thread, redis_calls, clock):
    # The clock stands still: on a slow run the real one passed VERSION_SECONDS between the hits.
    make_thread(title="How do I reset my router?")
    widget = make_widget("latest")
    _titles(client, widget)
    _titles(client, widget)
    redis_calls.clear()
    assert _titles(client, widget) == ["How do I reset my router?"]
    assert redis_calls == []


def test_this_processes_change_is_seen_at_once(client, make_thread, clock):
    widget = make_widget("latest")
    _titles(client, widget)
    make_thread(title="Seen without waiting")
    assert "Seen without waiting" in _titles(client, widget)


def test_another_processes_change_is_seen_within_the_bound(app, client, clock):
    widget = make_widget("latest")
    _titles(client, widget)
    other = _other_worker(app)
    with other.app_context():
        factories.make_thread(title="Written by the other worker")
        db.session.remove()
    other.extensions["community.engine"].dispose()
    assert "Written by the other worker" not in _titles(client, widget)  # the bound, not a bug
    clock[0] += widget_cache.VERSION_SECONDS + 0.01
    assert "Written by the other worker" in _titles(client, widget)


def test_an_older_version_read_late_does_not_undo_a_bump(app):
    widget_cache._remember_version(app, 7, now=10.0)
    widget_cache._remember_version(app, 6, now=10.5)  # a read that began before the bump
    assert app.extensions[widget_cache.VERSION_MEMO][1] == 7
    widget_cache._remember_version(app, 3, now=10.0 + widget_cache.VERSION_SECONDS + 1)  # Redis was emptied
    assert app.extensions[widget_cache.VERSION_MEMO][1] == 3


def test_two_sites_on_one_redis_keep_their_widget_cache_apart(app, tmp_path):
    # Same widget id, same version number: before the namespace these were the same Redis keys.
    other = _other_worker(app, DATABASE_URL=f"sqlite:///{tmp_path / 'other-site.db'}")
    version = widget_cache.content_version()
    widget_cache.put(widget_cache.entry_key(1, version), {"found": True, "site": "this"})
    with other.app_context():
        widget_cache._redis().set(widget_cache.version_key(other), version)
        assert widget_cache.get(widget_cache.entry_key(1, version)) is None
        assert widget_cache.peek_entry(other, 1) is None
        widget_cache.put(widget_cache.entry_key(1, version), {"found": True, "site": "other"})
        widget_cache.bump_version()
        assert widget_cache.content_version() == version + 1
    assert widget_cache.content_version() == version
    assert widget_cache.get(widget_cache.entry_key(1, version)) == {"found": True, "site": "this"}
    assert widget_cache.peek_entry(app, 1) == {"found": True, "site": "this"}
    assert widget_cache.redis_prefix(other) != widget_cache.redis_prefix(app)


def test_workers_of_one_site_share_the_widget_cache(app):
    other = _other_worker(app)
    version = widget_cache.content_version()
    widget_cache.put(widget_cache.entry_key(1, version), {"found": True, "site": "this"})
    with other.app_context():
        assert widget_cache.get(widget_cache.entry_key(1, version)) == {"found": True, "site": "this"}
        assert widget_cache.peek_entry(other, 1) == {"found": True, "site": "this"}
        widget_cache.bump_version()
    assert widget_cache.content_version() == version + 1
