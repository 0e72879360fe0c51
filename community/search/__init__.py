"""Full-text search behind one interface (backend.py); the backend is chosen by SEARCH_BACKEND."""
from __future__ import annotations

from flask import Flask, current_app

from .backend import SearchBackend

BACKENDS = ("whoosh", "postgres")


class SearchConfigError(RuntimeError):
    """SEARCH_BACKEND names something unusable with this database."""


def make_backend(name: str, *, index_dir: str, database_url: str) -> SearchBackend:
    if name == "whoosh":
        from .whoosh_backend import WhooshBackend

        return WhooshBackend(index_dir)
    if name == "postgres":
        if not database_url.startswith("postgresql"):
            raise SearchConfigError(
                "COMMUNITY_SEARCH_BACKEND=postgres needs a PostgreSQL COMMUNITY_DATABASE_URL; "
                f"this site uses {database_url.split(':', 1)[0]}. Use SEARCH_BACKEND=whoosh instead."
            )
        from .postgres_backend import PostgresBackend

        return PostgresBackend(layer_dir=index_dir)
    raise SearchConfigError(f"Unknown COMMUNITY_SEARCH_BACKEND {name!r}; choose one of {', '.join(BACKENDS)}.")


def init_app(app: Flask) -> None:
    """The backend SEARCH_BACKEND names, its subscription to the change tracker
    (community/changes.py), and `flask community search ...`."""
    from . import changes, cli  # noqa: F401  (cli attaches its commands to the community group)

    app.extensions["community.search"] = make_backend(
        app.config["SEARCH_BACKEND"],
        index_dir=app.config["SEARCH_INDEX_DIR"],
        database_url=app.config["DATABASE_URL"],
    )
    changes.register()


def drain_outbox_on_first_request() -> None:
    """before_request: at the first request after start, queue a drain if a crash left outbox rows
    behind. Lazily, so creating the app (CLI, migrations on an empty database) never touches the
    tables."""
    state = current_app.extensions
    if state.get("community.search.outbox_checked"):
        return
    state["community.search.outbox_checked"] = True
    drain_if_pending()


def drain_if_pending() -> bool:
    import logging

    from sqlalchemy.exc import SQLAlchemyError

    from ..extensions import db
    from ..jobs.queue import enqueue
    from .outbox import has_pending_outbox, process_outbox

    try:
        pending = has_pending_outbox()
    except SQLAlchemyError:
        db.session.rollback()
        logging.getLogger(__name__).warning("search outbox not readable; skipping the start-up drain")
        return False
    if pending:
        enqueue(process_outbox, urgent=True)
    return pending


def backend() -> SearchBackend:
    return current_app.extensions["community.search"]
