"""Searches answered from the page cache are counted by a flusher thread after the response."""
import time

from flask import current_app
from sqlalchemy import select

from community.extensions import db
from community.models import SearchEvent
from community.search import query_log


def test_a_hit_noted_through_the_current_app_proxy_is_recorded_by_the_flusher(app, monkeypatch):
    monkeypatch.setattr(query_log, "FLUSH_SECONDS", 0.05)
    query_log.note(current_app, "Certificate Renewal", 3)  # what the page cache's hook passes
    flusher = query_log._pending(app).flusher
    assert flusher is not None
    flusher.join(timeout=10)
    for _ in range(50):  # the row is committed by the thread's own session
        db.session.remove()
        if db.session.scalars(select(SearchEvent)).first() is not None:
            break
        time.sleep(0.05)
    event = db.session.scalars(select(SearchEvent)).one()
    assert event.query == "certificate renewal" and event.result_count == 3
