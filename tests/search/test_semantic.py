"""The semantic layer learned from the community's posts: words that keep the same company end up
close, it survives a save and a memory-mapped load, and it stays out of the way when there is too
little to learn from or its files are damaged. Query handling keeps codes whole."""
from __future__ import annotations

import numpy as np

from community.search import semantic, similar

# Two topics whose questions share few words with each other: "badge" questions also talk of
# reputation and privileges; "backup" questions of restores and snapshots.
BADGES = [
    ("How do I earn the badge for answers", "Badges come with reputation and privileges on the site."),
    ("Reputation needed for a privilege", "Which privileges come with reputation, and which badge?"),
    ("Badge not awarded after upvotes", "I got the reputation but the badge never showed up."),
    ("Privileges disappeared with my reputation", "After losing reputation my privileges and badge went."),
]
BACKUPS = [
    ("Nightly backup fails to finish", "The backup snapshot stops and no restore point is written."),
    ("Restore from a snapshot", "How do I restore the backup snapshot taken last night?"),
    ("Backup size keeps growing", "Every snapshot is bigger; old restore points are never removed."),
    ("Snapshot restore is very slow", "Restoring a backup snapshot takes hours."),
]


def _posts(times: int = 8) -> list[dict[str, float]]:
    texts = (BADGES + BACKUPS) * times
    return [similar.weights(title, body) for title, body in texts]


def test_a_question_is_closer_to_its_topic_even_through_words_it_does_not_use():
    layer = semantic.train(_posts(), dimensions=4)
    question = similar.weights("Which privileges do I get", "")  # no "badge" in it
    badge_only = similar.weights("Badge question", "badge badge")
    snapshot_only = similar.weights("Snapshot question", "snapshot snapshot")
    near_badge, near_snapshot = layer.similarities(question, [badge_only, snapshot_only])
    assert near_badge > near_snapshot


def test_the_layer_survives_a_save_and_is_memory_mapped_when_loaded(tmp_path):
    trained = semantic.train(_posts(), dimensions=4)
    trained.save(tmp_path / "layer")
    loaded = semantic.SemanticModel.load(tmp_path / "layer")
    assert isinstance(loaded.basis, np.memmap)
    question, texts = similar.weights("Restore a snapshot", ""), [similar.weights(*BACKUPS[0])]
    assert np.allclose(loaded.similarities(question, texts), trained.similarities(question, texts), atol=1e-5)


def test_too_few_posts_learn_no_layer():
    assert semantic.train(_posts(times=1)) is None


def test_damaged_or_missing_files_load_as_no_layer(tmp_path):
    assert semantic.SemanticModel.load(tmp_path / "nothing-here") is None
    semantic.train(_posts(), dimensions=4).save(tmp_path / "layer")
    (tmp_path / "layer" / "terms.txt").write_text("only\ntwo\n", encoding="utf-8")
    assert semantic.SemanticModel.load(tmp_path / "layer") is None


def test_unknown_words_give_no_closeness_rather_than_an_error():
    layer = semantic.train(_posts(), dimensions=4)
    assert layer.similarities(similar.weights("zzqx unheard", ""), [similar.weights(*BADGES[0])]) == [0.0]


def test_the_sampler_keeps_an_even_bounded_sample_of_a_long_stream():
    sampler = semantic.Sampler(size=100, seed=1)
    for n in range(10_000):
        sampler.add(n)
    assert len(sampler.kept) == 100
    assert sum(sampler.kept) / 100 > 2_000  # not just the first hundred posts


def test_error_codes_and_version_strings_count_whole_as_well_as_by_their_parts():
    found = similar.terms("Error 0x80070005 since v2.3.1 on node.js, err-504")
    assert {"0x80070005", "v2.3.1", "err-504"} <= set(found)
    assert {"node", "js", "err", "504"} <= set(found)
    assert "node.js" not in found  # joined without a digit: a word pair, not a code
