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
