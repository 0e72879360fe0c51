"""PostgreSQL "did you mean": a maintained word table (trigram lookups where pg_trgm exists), never a
scan of every document's words, and never a word the viewer's readable documents no longer hold."""
from __future__ import annotations

import pytest
from sqlalchemy import text

from community.extensions import db
from community.models import SearchWord, Visibility
from community.search import backend as current_backend
from community.search import queries as search_service
from community.search import upkeep as search_upkeep

pytestmark = pytest.mark.backends("postgres")


@pytest.fixture
def app_overrides():
    return {"SEARCH_BACKEND": "postgres"}


def _levels(word: str) -> set[str]:
    return {row.level for row in db.session.query(SearchWord).filter_by(word=word)}


def test_indexing_adds_words_at_their_level_and_refresh_rebuilds_them(make_thread, make_category):
    make_thread(title="Gyroscope drift", category=make_category(visibility=Visibility.members))
    make_thread(title="Hovercraft manual", is_private=True)
    assert _levels("gyroscope") == {"members"}
    assert _levels("hovercraft") == {"private"}
    db.session.execute(text("INSERT INTO search_words (level, word, ndoc) VALUES ('public', 'stalewordx', 3)"))
    db.session.commit()
    search_upkeep.scheduled_maintenance()
    assert _levels("stalewordx") == set()  # words of no document are gone after the refresh
    assert _levels("gyroscope") == {"members"}


def test_trigram_index_is_made_when_pg_trgm_is_available(make_thread):
    make_thread(title="Zebracorn calibration")
    search_upkeep.scheduled_maintenance()
    has_extension = db.session.scalar(text("SELECT count(*) FROM pg_available_extensions WHERE name = 'pg_trgm'"))
    index = db.session.scalar(text("SELECT count(*) FROM pg_indexes WHERE indexname = 'ix_search_words_trgm'"))
    assert index == (1 if has_extension else 0)
    assert search_service.search(None, "zebracorm").corrected == "zebracorn"


def test_words_left_from_text_now_hidden_are_not_offered(make_thread, make_category):
    thread = make_thread(title="Quasarflux tuning")
    search_upkeep.scheduled_maintenance()
    assert search_service.search(None, "quasarflax").corrected == "quasarflux"
    thread.category = make_category(visibility=Visibility.staff)
    db.session.commit()
    # The word table still lists the word as public until the next refresh...
    assert "public" in _levels("quasarflux")
    # ...but the live check against readable documents keeps it from anonymous visitors.
    assert current_backend().suggest("quasarflax", search_service.access_for(None)) is None
    assert search_service.search(None, "quasarflax").corrected is None
