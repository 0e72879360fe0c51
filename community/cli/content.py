"""Content commands (seed-demo, import-stackexchange)."""
from __future__ import annotations

import click
from flask.cli import with_appcontext

from ..errors import ServiceError
from . import community_cli


@community_cli.command("import-stackexchange")
@click.argument("directory", type=click.Path(file_okay=False, path_type=str))
@click.option("--category", "category_slug", default=None, help="Slug of an existing category to import into.")
@with_appcontext
def import_stackexchange(directory: str, category_slug: str | None) -> None:
    """Import a Stack Exchange data dump (Posts.xml, Comments.xml) from DIRECTORY. Safe to rerun."""
    from ..services.importer import import_stackexchange as run_import

    def progress(total: int, label: str):
        return click.progressbar(length=total, label=label)

    try:
        result = run_import(directory, category_slug, progress=progress)
    except ServiceError as error:
        raise click.ClickException(error.message) from error
    click.echo(
        f"Imported into /c/{result.category_slug}: {result.threads} threads, {result.answers} answers, "
        f"{result.comments} comments, {result.users} users, {result.accepted_answers} accepted answers."
    )


@community_cli.command("rerender-posts")
@with_appcontext
def rerender_posts() -> None:
    """Render again the stored posts whose code showed "&lt;" for "<" (escaped twice before 2026-12)."""
    from ..services.threads import rerender_double_escaped

    click.echo(f"Rendered again: {rerender_double_escaped()} posts.")


@community_cli.command("seed-demo")
@click.option("--if-empty", is_flag=True, help="Do nothing (and succeed) when the database already has users.")
@with_appcontext
def seed_demo(if_empty: bool) -> None:
    """Fill an empty database with the Acme Cloud demo community and print its sign-in details."""
    from ..seed.demo import seed_demo as run_seed

    try:
        accounts = run_seed(if_empty=if_empty)
    except ServiceError as error:
        raise click.ClickException(error.message) from error
    if accounts is None:
        click.echo("The database already has users (or COMMUNITY_SEED_DEMO is off): demo seed skipped.")
        return
    click.echo("Demo community seeded. Sign in with (shown once, store them now):")
    for account in accounts:
        role = "verified customer" if account.verified_customer else account.role
        click.echo(f"  {role:<18} {account.email:<30} {account.password}   ({account.display_name})")
