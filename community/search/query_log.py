"""Searches answered from the page cache, recorded for the insights page after the response.

A cached search page makes no query, yet the insights page counts every first-page search. Hits
are kept in the process and written in one batch at most FLUSH_SECONDS later by a short-lived
thread (and before the insights page is read), so a hit still costs no query.
"""
from __future__ import annotations

import logging
import threading
import time

from flask import Flask

from ..extensions import db
from ..models import SearchEvent
from .deflection import normalise_query

log = logging.getLogger(__name__)

FLUSH_SECONDS = 5.0
MAX_PENDING = 10_000  # past this, hits are dropped rather than held in memory
PENDING_KEY = "community.search_hits"


class _Pending:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.rows: list[tuple[str, int]] = []
        self.flusher: threading.Thread | None = None


def _pending(app: Flask) -> _Pending:
    return app.extensions.setdefault(PENDING_KEY, _Pending())


def note(app: Flask, query: str, result_count: int) -> None:
    # The flusher thread outlives the request: it needs the app itself, not the current_app proxy
    # (which the page cache's hook passes), or it fails "outside of application context".
    app = app._get_current_object() if hasattr(app, "_get_current_object") else app
    pending = _pending(app)
    with pending.lock:
        if len(pending.rows) < MAX_PENDING:
            pending.rows.append((query, result_count))
        if pending.flusher is None:
            pending.flusher = threading.Thread(target=_flush_later, args=(app, pending), daemon=True)
            pending.flusher.start()


def _flush_later(app: Flask, pending: _Pending) -> None:
    time.sleep(FLUSH_SECONDS)
    with pending.lock:
        pending.flusher = None
    flush(app)


def flush(app: Flask) -> None:
    pending = _pending(app)
    with pending.lock:
        rows, pending.rows = pending.rows, []
    if not rows:
        return
    try:
        with app.app_context():
            db.session.add_all(
                SearchEvent(kind="search", query=normalise_query(query), result_count=count) for query, count in rows
            )
            db.session.commit()
    except Exception:  # insights lose these hits; the pages were served
        log.warning("could not record %d cached searches", len(rows), exc_info=True)
