"""Classify posts found on X as complaint / question / praise / other.

The small interface the rest of the bridge uses:

    classifier = active_classifier(app.instance_path)   # or app.config
    classifier.classify(text) -> Classification(label, score, version, complaint_score)
    classifier.classify_many(texts) -> [Classification, ...]

Two kinds of classifier: "rules" (cue rules plus VADER, ships with the product, always there) and
trained TF-IDF + logistic regression models made by `flask bridge train` from labelled posts and
kept under instance/classifiers/. instance/classifiers/active.json says which one is in use.
Nothing is loaded at import time; models are loaded on first use and cached by file time.

The operations below (train, use, list, classify a CSV) are what the CLI calls, one each.
"""
from __future__ import annotations

import logging
import os
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timezone
from hashlib import sha256
from pathlib import Path
from typing import Iterator, Mapping

from ..errors import NotFound, ValidationFailed
from .classifiers.base import LABELS, Classification, Classifier
from .classifiers.csv_files import Post, read_labelled, read_posts
from .classifiers.rules import RulesClassifier, shared_rules
from .classifiers.store import RULES, ClassifierStore, ModelCard, check_name

__all__ = [
    "LABELS", "RULES", "Classification", "Classifier", "ClassifierListing", "active_classifier",
    "get_classifier", "rules_classifier", "train_from_csv", "use_classifier", "list_classifiers",
    "classify_csv",
]

log = logging.getLogger(__name__)
InstanceRef = str | os.PathLike[str] | Mapping[str, object]
CLASSIFY_BATCH = 1000


def _instance_path(where: InstanceRef) -> Path:
    """Accept the instance folder itself or an app config holding INSTANCE_PATH."""
    if isinstance(where, Mapping):
        return Path(str(where["INSTANCE_PATH"]))
    return Path(where)


def rules_classifier() -> RulesClassifier:
    return shared_rules()


def get_classifier(where: InstanceRef, name: str | None = None) -> Classifier:
    """The named classifier, or the active one when name is None."""
    store = ClassifierStore(_instance_path(where))
    chosen = name or store.active_name()
    if chosen == RULES:
        return rules_classifier()
    return store.load(chosen)


def active_classifier(where: InstanceRef) -> Classifier:
    """The classifier in use. A missing active model falls back to the rules, loudly."""
    try:
        return get_classifier(where)
    except (NotFound, ValidationFailed) as error:
        log.warning("active classifier unusable (%s); using the rules", error.message)
        return rules_classifier()


# --- operations the CLI calls -----------------------------------------------------------------


def train_from_csv(where: InstanceRef, csv_path: Path, name: str | None = None) -> ModelCard:
    """Train from a labelled CSV, save under instance/classifiers/, and make it the active one."""
    texts, labels = read_labelled(csv_path)
    classes = sorted(set(labels))
    if len(classes) < 2:
        raise ValidationFailed(
            f"{csv_path.name}: every row is labelled {classes[0]!r}; training needs at least two different labels."
        )
    from .classifiers.trained import fit  # scikit-learn: loaded only where a model is trained or used

    store = ClassifierStore(_instance_path(where))
    card = _model_card(check_name(name or _default_name()), texts, labels)
    store.save(card, fit(texts, labels))
    store.activate(card.name, card.version)
    return card


def _model_card(name: str, texts: list[str], labels: list[str]) -> ModelCard:
    import sklearn

    from .classifiers.trained import FEATURES, cross_validate, usable_folds

    folds = usable_folds(labels)
    validation = cross_validate(texts, labels, folds).as_dict() if folds >= 2 else None
    trained_at = datetime.now(timezone.utc).replace(microsecond=0)
    return ModelCard(
        name=name,
        version=f"tfidf-lr-{trained_at:%Y%m%d%H%M%S}-{_data_digest(texts, labels)}",
        trained_at=trained_at.isoformat(),
        rows=len(texts),
        label_counts=dict(sorted(Counter(labels).items())),
        cross_validation=validation,
        sklearn_version=sklearn.__version__,
        extra={"features": FEATURES},
    )


def _data_digest(texts: list[str], labels: list[str]) -> str:
    # Two models trained on the same rows get the same suffix: the version says what it learnt from.
    digest = sha256()
    for text, label in zip(texts, labels):
        digest.update(f"{label}\x1f{text}\x1e".encode("utf-8"))
    return digest.hexdigest()[:8]


def _default_name() -> str:
    return datetime.now(timezone.utc).strftime("tfidf-%Y%m%d-%H%M%S")


def use_classifier(where: InstanceRef, name: str) -> str:
    """Make `name` (or "rules") the active classifier; returns its version."""
    store = ClassifierStore(_instance_path(where))
    version = RulesClassifier.version if name == RULES else store.card(name).version
    if name != RULES:
        store.load(name)  # refuse to activate a model that cannot be loaded
    store.activate(name, version)
    return version


@dataclass(frozen=True)
class ClassifierListing:
    name: str
    version: str
    active: bool
    trained_at: str | None
    rows: int | None
    complaint_f1: float | None  # cross-validated, when the training data allowed it


def list_classifiers(where: InstanceRef) -> list[ClassifierListing]:
    store = ClassifierStore(_instance_path(where))
    active = store.active_name()
    listings = [ClassifierListing(RULES, RulesClassifier.version, active == RULES, None, None, None)]
    for name in store.names():
        try:
            card = store.card(name)
        except (NotFound, ValidationFailed):
            continue  # a model file gone or a card unreadable: nothing that could be used
        listings.append(
            ClassifierListing(name, card.version, active == name, card.trained_at, card.rows, _complaint_f1(card))
        )
    return listings


def _complaint_f1(card: ModelCard) -> float | None:
    complaint = (card.cross_validation or {}).get("complaint") or {}
    return complaint.get("f1")


def classify_csv(where: InstanceRef, csv_path: Path, name: str | None = None) -> Iterator[dict[str, object]]:
    """One result dict per post of a CSV with a `text` column, in file order, in batches.

    The file and the classifier are checked before this returns, so errors surface at the call.
    """
    classifier = get_classifier(where, name)
    posts = read_posts(csv_path)
    return _classified(classifier, posts)


def _classified(classifier: Classifier, posts: list[Post]) -> Iterator[dict[str, object]]:
    for start in range(0, len(posts), CLASSIFY_BATCH):
        batch = posts[start : start + CLASSIFY_BATCH]
        for post, result in zip(batch, classifier.classify_many(post.text for post in batch)):
            record: dict[str, object] = {"row": post.row}
            if post.id is not None:
                record["id"] = post.id
            record.update(label=result.label, score=result.score, complaint_score=result.complaint_score)
            record["version"] = result.version
            yield record
