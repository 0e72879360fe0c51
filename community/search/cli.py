"""`flask community search ...`: rebuild, check and query the search index from the shell."""
from __future__ import annotations

import json

import click
from flask import current_app
from flask.cli import with_appcontext

from ..errors import ServiceError
from ..cli import community_cli


@community_cli.group("search")
def search_cli() -> None:
    """Full-text search index."""


@search_cli.command("reindex")
@with_appcontext
def reindex() -> None:
    """Rebuild the whole index aside and swap it in; the site keeps serving meanwhile."""
    from . import upkeep as search_upkeep

    total = search_upkeep.indexable_count()
    with click.progressbar(length=total, label="Indexing threads") as bar:
        count = search_upkeep.rebuild_index(progress=bar.update)
    click.echo(f"Indexed {count} threads with the {current_app.config['SEARCH_BACKEND']} backend.")


@search_cli.command("check")
@with_appcontext
def check() -> None:
    """Report documents missing from, stale in, or left over in the index. Exit 1 if any."""
    from . import upkeep as search_upkeep

    result = search_upkeep.check_index()
    for label, ids in (("missing", result.missing), ("stale", result.stale), ("extra", result.extra)):
        shown = ", ".join(map(str, ids[:50])) + (" …" if len(ids) > 50 else "")
        click.echo(f"{label}: {len(ids)}" + (f" ({shown})" if ids else ""))
    if not result.ok:
        raise SystemExit(1)
    click.echo("Index is up to date.")


@search_cli.command("drain")
@with_appcontext
def drain() -> None:
    """Index every thread waiting in the search outbox now."""
    from . import outbox as search_outbox

    click.echo(f"Indexed {search_outbox.process_outbox()} threads from the outbox.")


@search_cli.command("purge")
@with_appcontext
def purge() -> None:
    """Forget who searched after 30 days and close out abandoned compose sessions (run daily)."""
    from . import deflection as search_deflection

    search_deflection.purge_old_events()
    click.echo("Search events purged.")


@search_cli.command("query")
@click.argument("text")
@click.option("--as", "email", default=None, help="Search as this user (default: anonymous visitor).")
@click.option("--page", default=1, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@with_appcontext
def query(text: str, email: str | None, page: int, as_json: bool) -> None:
    """Print what the search page would show for TEXT."""
    from . import queries as search_service

    user = _viewer(email)
    result = search_service.search(user, text, search_service.SearchFilters(page=page))
    payload = {
        "query": result.query, "total": result.total, "total_capped": result.total_capped, "page": result.page,
        "did_you_mean": result.corrected,
        "notice": result.notice, "results": _rows(result.items),
    }
    _print(payload, as_json)


@search_cli.command("similar")
@click.argument("title")
@click.option("--body", default="", help="The question's body, if any.")
@click.option("--as", "email", default=None, help="Look up as this user (default: anonymous visitor).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@with_appcontext
def similar(title: str, body: str, email: str | None, as_json: bool) -> None:
    """Print the similar questions the composer would suggest for TITLE."""
    from . import queries as search_service

    items = search_service.similar(_viewer(email), title, body)
    _print({"title": title, "results": _rows(items)}, as_json)


def _viewer(email: str | None):
    from . import queries as search_service

    if not email:
        return None
    try:
        return search_service.viewer_by_email(email)
    except ServiceError as error:
        raise click.ClickException(error.message) from error


def _rows(items) -> list[dict]:
    from ..web.helpers import thread_url

    with current_app.test_request_context(base_url=current_app.config["BASE_URL"]):
        return [
            {
                "id": item.thread.id,
                "title": item.thread.title,
                "url": current_app.config["BASE_URL"].rstrip("/") + thread_url(item.thread),
                "score": round(item.hit.score, 4),
                "state": item.thread.state.value,
            }
            for item in items
        ]


def _print(payload: dict, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(payload, ensure_ascii=False, indent=2))
        return
    if payload.get("did_you_mean"):
        click.echo(f"Did you mean: {payload['did_you_mean']}")
    for row in payload["results"]:
        click.echo(f"{row['score']:>8}  #{row['id']}  {row['title']}  {row['url']}")
    if "total" in payload:
        click.echo(f"{payload['total']} results")
