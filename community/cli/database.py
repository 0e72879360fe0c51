"""Database migrations: `flask community db upgrade|current|revision`."""
from __future__ import annotations

import click
from flask.cli import with_appcontext

from .. import migrate
from ..extensions import db
from . import community_cli


@community_cli.group("db")
def db_group() -> None:
    """Schema migrations (Alembic)."""


@db_group.command("upgrade")
@click.argument("revision", default="head")
@with_appcontext
def upgrade(revision: str) -> None:
    """Upgrade the database to REVISION (default: head)."""
    migrate.upgrade(db.engine, revision)
    click.echo(f"database at {migrate.current_revision(db.engine)}")


@db_group.command("current")
@with_appcontext
def current() -> None:
    """Print the current revision and whether it is the head."""
    rev = migrate.current_revision(db.engine)
    click.echo(f"{rev} ({'head' if rev == migrate.head_revision() else 'behind head'})")


@db_group.command("revision")
@click.option("-m", "--message", required=True)
@with_appcontext
def revision(message: str) -> None:
    """Autogenerate a new migration from the models."""
    migrate.revision(db.engine, message)
