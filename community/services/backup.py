"""Backup and restore of the embedded default: the SQLite database plus the uploads folder.

The database is copied with SQLite's online backup API, so a backup taken while the site serves
is a consistent snapshot (WAL readers and writers carry on). One .tar.gz holds community.db,
uploads/ and manifest.json. A restore replaces both, upgrades the schema if the backup is older,
and rebuilds the search index from the restored rows. PostgreSQL sites use pg_dump/pg_restore
(README "Backup").
"""
from __future__ import annotations

import json
import os
import shutil
import sqlite3
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from .. import migrate
from ..errors import Conflict, ValidationFailed
from ..extensions import db
from ..models import Post, User
from ..models.base import utcnow

FORMAT = 1
DB_NAME = "community.db"
UPLOADS = "uploads"
MANIFEST = "manifest.json"


@dataclass(frozen=True)
class BackupSummary:
    path: Path
    users: int
    posts: int
    upload_files: int
    revision: str | None


def create_backup(target: str | os.PathLike) -> BackupSummary:
    """Write a consistent snapshot of the database and the uploads to `target` (.tar.gz)."""
    database = _sqlite_file()
    target = Path(target)
    if target.is_dir():
        target = target / f"parley-backup-{utcnow():%Y%m%d-%H%M%S}.tar.gz"
    with tempfile.TemporaryDirectory(prefix="parley-backup-") as work:
        snapshot = Path(work) / DB_NAME
        _copy_sqlite(database, snapshot)
        uploads = _local_uploads()
        summary = BackupSummary(target, *_counts(snapshot), _count_files(uploads), migrate.current_revision(db.engine))
        manifest = {"format": FORMAT, "created_at": utcnow().isoformat(), "revision": summary.revision,
                    "users": summary.users, "posts": summary.posts, "upload_files": summary.upload_files,
                    "uploads_included": uploads is not None}
        (Path(work) / MANIFEST).write_text(json.dumps(manifest, indent=2))
        partial = target.with_name(target.name + ".partial")
        with tarfile.open(partial, "w:gz") as archive:
            archive.add(Path(work) / MANIFEST, MANIFEST)
            archive.add(snapshot, DB_NAME)
            if uploads is not None and uploads.exists():
                archive.add(uploads, UPLOADS)
        # Renamed only when complete, so a crash never leaves a truncated file under the real name.
        os.replace(partial, target)
    return summary


def restore_backup(source: str | os.PathLike, force: bool = False) -> BackupSummary:
    """Replace the database and uploads with the backup's, then rebuild the search index."""
    database = _sqlite_file()
    source = Path(source)
    if not source.is_file():
        raise ValidationFailed(f"No backup file at {source}.")
    if not force and _site_has_content():
        raise Conflict("This site already has members or posts. Restoring would replace them; "
                       "pass --force to do it anyway.")
    with tempfile.TemporaryDirectory(prefix="parley-restore-") as work:
        manifest = _extract(source, Path(work))
        db.session.remove()
        db.engine.dispose()
        _copy_sqlite(Path(work) / DB_NAME, database)
        if manifest.get("uploads_included"):
            _replace_uploads(Path(work) / UPLOADS)
    migrate.upgrade(db.engine)
    from ..search import upkeep as search_upkeep

    search_upkeep.rebuild_index()
    users, posts = _counts(database)
    return BackupSummary(source, users, posts, int(manifest.get("upload_files") or 0), migrate.current_revision(db.engine))


# --- helpers ---------------------------------------------------------------------------------------


def _sqlite_file() -> Path:
    url = make_url(current_app.config["DATABASE_URL"])
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        raise ValidationFailed("backup and restore cover the embedded SQLite database; for PostgreSQL use "
                               "pg_dump and pg_restore (see README, Backup).")
    return Path(url.database)


def _copy_sqlite(source: Path, target: Path) -> None:
    # The online backup API copies page by page under SQLite's own locking: consistent even while
    # the app writes, and the target's open readers see the old or the new database, never a mix.
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    dst = sqlite3.connect(target, timeout=30)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()


def _counts(database: Path) -> tuple[int, int]:
    connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        users = connection.execute("SELECT COUNT(*) FROM users").fetchone()[0]
        posts = connection.execute("SELECT COUNT(*) FROM posts").fetchone()[0]
    finally:
        connection.close()
    return users, posts


def _local_uploads() -> Path | None:
    """The uploads folder, or None when uploads live in an object store (backed up there)."""
    if str(current_app.config.get("STORAGE_BACKEND") or "local").lower() != "local":
        return None
    return Path(current_app.config["UPLOAD_DIR"])


def _count_files(folder: Path | None) -> int:
    if folder is None or not folder.exists():
        return 0
    return sum(1 for path in folder.rglob("*") if path.is_file())


def _site_has_content() -> bool:
    return bool(db.session.scalar(select(func.count()).select_from(User))
                or db.session.scalar(select(func.count()).select_from(Post)))


def _extract(source: Path, work: Path) -> dict:
    try:
        with tarfile.open(source, "r:gz") as archive:
            names = archive.getnames()
            if MANIFEST not in names or DB_NAME not in names:
                raise ValidationFailed(f"{source} is not a Parley backup (no {MANIFEST} or {DB_NAME}).")
            # The "data" filter refuses absolute paths, "..", links out of the folder and devices.
            archive.extractall(work, filter="data")
    except (tarfile.TarError, OSError, EOFError) as error:
        raise ValidationFailed(f"{source} is not a readable backup: {error}") from error
    manifest = json.loads((work / MANIFEST).read_text())
    if manifest.get("format") != FORMAT:
        raise ValidationFailed(f"{source} has backup format {manifest.get('format')!r}; this version reads {FORMAT}.")
    _check_database(source, work / DB_NAME)
    return manifest


def _check_database(source: Path, database: Path) -> None:
    """Refuse before touching the live site if the archived database is damaged or not ours."""
    problem = f"{source} is not a readable backup: its database is damaged or not a Parley database."
    try:
        connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
        try:
            healthy = connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        finally:
            connection.close()
    except sqlite3.Error as error:
        raise ValidationFailed(problem) from error
    if not healthy or not {"users", "posts", "alembic_version"} <= tables:
        raise ValidationFailed(problem)


def _replace_uploads(restored: Path) -> None:
    uploads = _local_uploads()
    if uploads is None:
        return
    staging = uploads.with_name(uploads.name + ".restoring")
    shutil.rmtree(staging, ignore_errors=True)
    if restored.exists():
        shutil.copytree(restored, staging)
    else:
        staging.mkdir(parents=True)
    old = uploads.with_name(uploads.name + ".before-restore")
    shutil.rmtree(old, ignore_errors=True)
    if uploads.exists():
        uploads.rename(old)
    staging.rename(uploads)
    shutil.rmtree(old, ignore_errors=True)
