"""The semantic layer on both backends: a rebuild learns it from the community's own threads and
swaps it whole, a community too small to learn from gets none, and similar questions keep their
access rules whatever the layer says."""
from __future__ import annotations

from pathlib import Path

from community.models import Visibility
from community.search import backend as current_backend
from community.search import queries as search_service
from community.search import semantic, similar
from community.search import upkeep as search_upkeep

TOPICS = [
    ("Nightly backup fails to finish", "The backup snapshot stops and no restore point is written."),
    ("Restore from a snapshot", "How do I restore the backup snapshot taken last night?"),
    ("Backup size keeps growing", "Every snapshot is bigger; old restore points are never removed."),
    ("Badge not awarded after upvotes", "I got the reputation but the badge never showed up."),
    ("Reputation needed for a privilege", "Which privileges come with reputation, and which badge?"),
]


def _community(make_thread, copies: int) -> list:
    return [make_thread(title=f"{title} ({n})", body=body) for n in range(copies) for title, body in TOPICS]


def test_a_rebuild_learns_the_layer_from_the_communitys_threads(app, make_thread, search_backend):
    _community(make_thread, copies=12)
    search_upkeep.rebuild_index()
    layer = current_backend().layer.current()
    assert isinstance(layer, semantic.SemanticModel)
    assert {similar.terms("snapshot")[0], similar.terms("reputation")[0]} <= set(layer.vocabulary)


def test_a_second_rebuild_swaps_the_layer_whole_and_removes_the_old_files(app, make_thread, search_backend):
    _community(make_thread, copies=12)
    search_upkeep.rebuild_index()
    store = current_backend().layer
    first = store.root / (store.root / store.POINTER).read_text()
    held = store.current()
    search_upkeep.rebuild_index()
    second = store.root / (store.root / store.POINTER).read_text()
    assert second != first and second.is_dir() and not first.exists()
    question = similar.weights("Restore a snapshot", "")
    assert held.similarities(question, [question])[0] > 0.99  # a worker still reading the old files


def test_a_community_too_small_to_learn_from_has_no_layer_and_still_gets_suggestions(app, make_thread, search_backend):
    thread = make_thread(title="Restore from a snapshot", body="How do I restore last night's snapshot?")
    search_upkeep.rebuild_index()
    assert current_backend().layer.current() is None
    assert [item.thread.id for item in search_service.similar(None, "restore snapshot", "")] == [thread.id]


def test_the_layer_never_brings_back_a_thread_the_reader_may_not_see(
    app, make_thread, make_category, search_backend, monkeypatch
):
    _community(make_thread, copies=12)
    hidden = make_thread(title="Snapshot restore fails", body="The backup snapshot restore fails.",
                         category=make_category(visibility=Visibility.staff))
    search_upkeep.rebuild_index()
    # Let the layer decide the order on its own: access still holds.
    monkeypatch.setattr(similar, "CHOSEN", similar.Blend(engine=0.0, semantic=5.0, title=0.0))
    found = {item.thread.id for item in search_service.similar(None, "Snapshot restore fails", "backup")}
    assert found and hidden.id not in found
    assert Path(current_backend().layer.root).is_dir()
