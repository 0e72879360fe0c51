"""`flask community backup PATH` and `flask community restore PATH` for the embedded SQLite default."""
from __future__ import annotations

import click
from flask.cli import with_appcontext

from ..errors import ServiceError
from . import community_cli


@community_cli.command("backup")
@click.argument("path", type=click.Path(dir_okay=True, writable=True))
@with_appcontext
def backup(path: str) -> None:
    """Write the database (a consistent copy, safe while serving) and uploads to PATH (.tar.gz)."""
    from ..services import backup as backup_service

    try:
        summary = backup_service.create_backup(path)
    except ServiceError as error:
        raise click.ClickException(error.message) from error
    click.echo(f"Backed up {summary.users} members, {summary.posts} posts and {summary.upload_files} uploaded "
               f"files to {summary.path}.")


@community_cli.command("restore")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--force", is_flag=True, help="Replace a site that already has members or posts.")
@with_appcontext
def restore(path: str, force: bool) -> None:
    """Replace the database and uploads with the backup at PATH, then rebuild the search index.

    Stop the app (and workers) first: open connections would keep reading the old rows.
    """
    from ..services import backup as backup_service

    try:
        summary = backup_service.restore_backup(path, force=force)
    except ServiceError as error:
        raise click.ClickException(error.message) from error
    click.echo(f"Restored {summary.users} members, {summary.posts} posts and {summary.upload_files} uploaded "
               f"files from {summary.path}; search index rebuilt.")
