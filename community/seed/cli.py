"""`flask community bench-seed`: fill the database with a benchmark-sized community."""
from __future__ import annotations

import click
from flask.cli import with_appcontext

from ..errors import ServiceError
from ..extensions import db
from .bulk import BENCH_PASSWORD, SeedSize, bulk_seed
from ..cli import community_cli


@community_cli.command("bench-seed")
@click.option("--posts", default=1_000_000, show_default=True)
@click.option("--threads", default=100_000, show_default=True)
@click.option("--categories", default=30, show_default=True)
@click.option("--users", default=50_000, show_default=True)
@click.option("--random-seed", default=1, show_default=True)
@with_appcontext
def bench_seed(posts: int, threads: int, categories: int, users: int, random_seed: int) -> None:
    """Bulk-load users, categories, threads and posts into an empty forum (benchmarks only)."""
    size = SeedSize(posts=posts, threads=threads, categories=categories, users=users, random_seed=random_seed)
    try:
        report = bulk_seed(db.engine, size)
    except ServiceError as error:
        details = "; ".join(f"{name}: {message}" for name, message in error.fields.items())
        raise click.ClickException(f"{error.message} {details}".strip()) from error
    click.echo(report.summary())
    click.echo(f"1,000-post thread: /t/{report.long_thread_id}; 20-post threads: {report.twenty_post_thread_ids[:3]}")
    click.echo(f"busiest category: /c/{report.busiest_category_slug} ({report.busiest_category_threads:,} threads)")
    click.echo(f"every bench user's password: {BENCH_PASSWORD}")
