"""Fixtures for the fault drills: a PostgreSQL cluster of their own, a seeded site on it, Redis and
gunicorn started per drill. Nothing here touches the shared PostgreSQL or Redis."""
from __future__ import annotations

import os
import shutil
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select, text

from community import create_app, migrate
from community.extensions import db
from community.models import Post, SearchOutbox, Thread

from .. import factories
from ..conftest import require_service
from .load import SiteClient
from .servers import REDIS_SERVER, Gunicorn, PostgresCluster, RedisServer, postgres_available

PASSWORD = factories.DEFAULT_PASSWORD
SECRET = "drill-secret"


@pytest.fixture(scope="session")
def drill_postgres():
    require_service(postgres_available(), "PostgreSQL server binaries (initdb, pg_ctl)")
    cluster = PostgresCluster()
    cluster.start()
    yield cluster
    cluster.close()


@pytest.fixture
def drill_redis():
    require_service(Path(REDIS_SERVER).exists(), "redis-server")
    server = RedisServer()
    server.start()
    yield server
    server.close()


@dataclass
class Site:
    """A migrated, seeded community in the drill cluster, and the env that serves it."""

    url: str
    env: dict[str, str]
    emails: list[str]
    thread_ids: list[int]
    servers: list = field(default_factory=list)

    def serve(self, workers: int | None = 2, threads: int | None = 4, **env: str) -> Gunicorn:
        server = Gunicorn({**self.env, **env}, workers=workers, threads=threads).start()
        self.servers.append(server)
        return server

    def client(self, base_url: str, user: int = 0) -> SiteClient:
        client = SiteClient(base_url)
        client.sign_in(self.emails[user % len(self.emails)], PASSWORD)
        client.load_csrf(f"/t/{self.thread_ids[0]}")
        return client

    def scalar(self, query):
        engine = create_engine(self.url)
        try:
            with engine.connect() as connection:
                return connection.execute(query).scalar()
        finally:
            engine.dispose()

    def post_count(self) -> int:
        return self.scalar(select(func.count()).select_from(Post))

    def bodies(self) -> set[str]:
        engine = create_engine(self.url)
        try:
            with engine.connect() as connection:
                return set(connection.execute(select(Post.body_markdown)).scalars())
        finally:
            engine.dispose()

    def counters_consistent(self) -> list[str]:
        """Threads whose reply_count disagrees with their posts (empty when all agree)."""
        engine = create_engine(self.url)
        try:
            with engine.connect() as connection:
                rows = connection.execute(text(
                    "SELECT t.id, t.reply_count, COUNT(p.id) FROM threads t JOIN posts p ON p.thread_id = t.id "
                    "GROUP BY t.id, t.reply_count HAVING t.reply_count <> COUNT(p.id) - 1"
                )).all()
        finally:
            engine.dispose()
        return [f"thread {tid}: reply_count {count}, posts {posts}" for tid, count, posts in rows]

    def cli(self, *args: str):
        """`flask community ARGS` in this process (a subprocess would spend most of its time importing)."""
        saved = dict(os.environ)
        os.environ.update({k: v for k, v in self.env.items() if k.startswith("COMMUNITY_")})
        try:
            app = create_app()
        finally:
            os.environ.clear()
            os.environ.update(saved)
        try:
            return app.test_cli_runner().invoke(args=["community", *args], catch_exceptions=False)
        finally:
            app.extensions["community.engine"].dispose()

    def outbox_threads(self) -> set[int]:
        engine = create_engine(self.url)
        try:
            with engine.connect() as connection:
                return set(connection.execute(select(SearchOutbox.thread_id)).scalars())
        finally:
            engine.dispose()


def _seed(url: str, instance: Path, users: int, threads: int) -> tuple[list[str], list[int]]:
    app = create_app({
        "DATABASE_URL": url, "INSTANCE_PATH": str(instance), "SECRET_KEY": SECRET, "SEARCH_BACKEND": "postgres",
        "PASSWORD_HASH_FAST": True, "SEED_DEMO": False, "JOBS_RUN_IMMEDIATELY": True, "LOG_LEVEL": "WARNING",
    })
    with app.app_context():
        migrate.upgrade(db.engine)
        members = [factories.make_user() for _ in range(users)]
        category = factories.make_category(name="Drills")
        opened = [factories.make_thread(author=members[i % users], category=category) for i in range(threads)]
        emails = [member.email for member in members]
        thread_ids = [thread.id for thread in opened]
        db.session.remove()
    app.extensions["community.engine"].dispose()
    return emails, thread_ids


@pytest.fixture
def make_site(drill_postgres, tmp_path):
    made: list[Site] = []

    def make(users: int = 10, threads: int = 5, **settings: str) -> Site:
        name = f"drill_{uuid.uuid4().hex[:10]}"
        url = drill_postgres.create_database(name)
        instance = tmp_path / name
        emails, thread_ids = _seed(url, instance, users, threads)
        env = {key: value for key, value in os.environ.items() if not key.startswith("COMMUNITY_")}
        env.update({
            "COMMUNITY_DATABASE_URL": url,
            "COMMUNITY_INSTANCE_PATH": str(instance),
            "COMMUNITY_SECRET_KEY": SECRET,
            "COMMUNITY_SEARCH_BACKEND": "postgres",
            "COMMUNITY_SEED_DEMO": "false",
            "COMMUNITY_LOG_LEVEL": "WARNING",
            "COMMUNITY_SCHEDULER": "off",  # each drill counts its own writes; periodic jobs are tested apart
            # Every drill client comes from 127.0.0.1 and posts fast: limits on, but far away.
            "COMMUNITY_RATELIMIT_SIGNIN": "100000 per minute",
            "COMMUNITY_RATELIMIT_POSTING": "100000 per minute",
            "COMMUNITY_SPAM_CHECKS_ENABLED": "false",
            **{f"COMMUNITY_{key}": value for key, value in settings.items()},
        })
        site = Site(url=url, env=env, emails=emails, thread_ids=thread_ids)
        made.append(site)
        return site

    yield make
    for site in made:
        for server in site.servers:
            server.stop()
        shutil.rmtree(site.env["COMMUNITY_INSTANCE_PATH"], ignore_errors=True)
