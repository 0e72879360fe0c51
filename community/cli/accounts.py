"""Account commands (create-admin)."""
from __future__ import annotations

import click
from flask.cli import with_appcontext

from ..errors import ServiceError
from ..services import user_admin
from . import community_cli


@community_cli.command("create-admin")
@click.argument("email")
@click.option("--password", help="Password for a new account (prompted when missing).")
@click.option("--name", "display_name", help="Display name for a new account (prompted when missing).")
@with_appcontext
def create_admin(email: str, password: str | None, display_name: str | None) -> None:
    """Create an email-verified admin with EMAIL, or promote the existing account to admin."""
    try:
        if user_admin.find_by_email(email) is None:
            display_name = display_name or click.prompt("Display name")
            password = password or click.prompt("Password", hide_input=True, confirmation_prompt=True)
        user, created = user_admin.create_admin(email, password, display_name)
    except ServiceError as error:
        details = "; ".join(f"{field}: {message}" for field, message in error.fields.items())
        raise click.ClickException(details or error.message) from None
    action = "Created admin" if created else "Promoted to admin:"
    click.echo(f"{action} {user.email} (@{user.username})")
