"""`flask community backup` / `restore`: a consistent SQLite copy plus uploads in one archive;
restore refuses a non-empty site without --force, replaces both, and rebuilds the search index."""
from __future__ import annotations

import io
import json
import sqlite3
import tarfile
from pathlib import Path

import pytest
from sqlalchemy import select

from community.extensions import db
from community.models import Thread, User
from community.search import queries as search_service
from community.storage import storage


def run(app, *args):
    return app.test_cli_runner().invoke(args=["community", *args])


def titles_found(text: str) -> list[str]:
    result = search_service.search(None, text, search_service.SearchFilters())
    return [item.thread.title for item in result.items]


def sqlite_path(app) -> Path:
    return Path(app.config["DATABASE_URL"].removeprefix("sqlite:///"))


@pytest.mark.backends("sqlite")
def test_backup_then_restore_brings_back_rows_uploads_and_search(app, make_user, make_thread, tmp_path):
    author = make_user(display_name="Ada")
    make_thread(author=author, title="Zeppelin maintenance schedule")
    storage().save("avatars/1-abc.png", b"\x89PNG avatar bytes", "image/png")
    author.avatar_path = "avatars/1-abc.png"
    db.session.commit()
    archive = tmp_path / "site.tar.gz"

    made = run(app, "backup", str(archive))
    assert made.exit_code == 0, made.output
    assert "1 uploaded files" in made.output and archive.exists()

    # Life goes on after the backup: a new thread, the avatar file lost.
    make_thread(author=author, title="Quokka sightings after backup")
    storage().delete("avatars/1-abc.png")

    refused = run(app, "restore", str(archive))
    assert refused.exit_code == 1 and "--force" in refused.output

    restored = run(app, "restore", str(archive), "--force")
    assert restored.exit_code == 0, restored.output
    assert "search index rebuilt" in restored.output
    db.session.remove()
    assert set(db.session.scalars(select(Thread.title))) == {"Zeppelin maintenance schedule"}
    assert storage().read("avatars/1-abc.png") == b"\x89PNG avatar bytes"
    assert titles_found("zeppelin") == ["Zeppelin maintenance schedule"]
    assert titles_found("quokka") == []


@pytest.mark.backends("sqlite")
def test_restore_into_an_empty_site_needs_no_force(app, make_user, tmp_path):
    make_user(email="kept@example.com")
    archive = tmp_path / "one.tar.gz"
    assert run(app, "backup", str(archive)).exit_code == 0
    db.session.execute(User.__table__.delete())
    db.session.commit()
    restored = run(app, "restore", str(archive))
    assert restored.exit_code == 0, restored.output
    db.session.remove()
    assert db.session.scalar(select(User.email)) == "kept@example.com"


@pytest.mark.backends("sqlite")
def test_backup_while_a_write_is_open_is_consistent_and_skips_it(app, make_user, tmp_path):
    make_user(email="committed@example.com")
    writer = sqlite3.connect(sqlite_path(app), timeout=5)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("UPDATE users SET display_name = 'half-written'")
    try:
        made = run(app, "backup", str(tmp_path / "live.tar.gz"))  # a writer holds the lock: still works
    finally:
        writer.rollback()
        writer.close()
    assert made.exit_code == 0, made.output
    with tarfile.open(tmp_path / "live.tar.gz") as archive:
        archive.extract("community.db", tmp_path, filter="data")
    copy = sqlite3.connect(tmp_path / "community.db")
    assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert copy.execute("SELECT display_name FROM users").fetchall() != [("half-written",)]
    copy.close()


def _archive_with(tmp_path: Path, extra_name: str, database: bytes = b"") -> Path:
    path = tmp_path / "evil.tar.gz"
    with tarfile.open(path, "w:gz") as archive:
        for name, data in (("manifest.json", json.dumps({"format": 1}).encode()), ("community.db", database),
                           (extra_name, b"owned")):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return path


@pytest.mark.backends("sqlite")
@pytest.mark.parametrize("name", ["../escaped.txt", "/tmp/parley-absolute-escape.txt"])
def test_restore_refuses_archives_that_write_outside_their_folder(app, tmp_path, name):
    (tmp_path / "in").mkdir()
    archive = _archive_with(tmp_path / "in", name)
    result = run(app, "restore", str(archive), "--force")
    assert result.exit_code == 1 and "not a readable backup" in result.output
    assert not (tmp_path / "escaped.txt").exists() and not Path("/tmp/parley-absolute-escape.txt").exists()


@pytest.mark.backends("sqlite")
def test_restore_refuses_a_file_that_is_not_a_backup(app, tmp_path):
    bogus = tmp_path / "notes.tar.gz"
    bogus.write_bytes(b"just text")
    result = run(app, "restore", str(bogus), "--force")
    assert result.exit_code == 1 and "not a readable backup" in result.output


@pytest.mark.backends("postgres")
def test_postgres_sites_are_pointed_to_pg_dump(app, tmp_path):
    result = run(app, "backup", str(tmp_path / "pg.tar.gz"))
    assert result.exit_code == 1 and "pg_dump" in result.output
    assert not (tmp_path / "pg.tar.gz").exists()


@pytest.mark.backends("sqlite")
def test_restore_refuses_a_database_that_is_not_parleys_and_keeps_the_site(app, make_user, tmp_path):
    make_user(email="still-here@example.com")
    other = tmp_path / "other.db"
    sqlite3.connect(other).execute("CREATE TABLE notes (x)").connection.commit()
    archive = _archive_with(tmp_path, "uploads/x.txt", database=other.read_bytes())
    result = run(app, "restore", str(archive), "--force")
    assert result.exit_code == 1 and "not a Parley database" in result.output
    db.session.remove()
    assert db.session.scalar(select(User.email)) == "still-here@example.com"
