"""The trainable classifier: TF-IDF word and character n-grams into a logistic regression.

Character n-grams carry the misspellings, hashtags and run-together words of short posts
("cancelled", "#fail", "luv") that a word vocabulary of a few thousand posts never sees twice.
The regression is fitted with stochastic gradient descent (SGDClassifier with log loss, which is
logistic regression): on ~75k sparse features it trains in a fraction of a second where lbfgs
takes many seconds, so five-fold cross-validation at every `flask bridge train` stays cheap.
The rules classifier's cues are added as features (see SupportCueFeatures).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterable, Sequence

import numpy as np
from scipy.sparse import csr_matrix
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import SGDClassifier
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import FeatureUnion, Pipeline

from .base import Classification
from .metrics import ComplaintMetrics, complaint_metrics, mean_metrics
from .rules import VERSION as RULES_VERSION
from .rules import shared_rules

MAX_FOLDS = 5
_HANDLE = re.compile(r"@\w+")
_LINK = re.compile(r"https?://\S+")


def normalise(text: str) -> str:
    """Handles and links name who and where, not what went wrong; collapse them to one token each.

    Saved models refer to this function by its import path: keep the name and module stable.
    """
    return _LINK.sub(" http ", _HANDLE.sub(" @user ", text)).lower()


class SupportCueFeatures(BaseEstimator, TransformerMixin):
    """The rules classifier's evidence (VADER tone, problem, anger, praise, question cues) as six
    extra columns. A few thousand labelled posts cannot teach that "on hold" or "refund" signal
    trouble unless they happen to repeat; the cues bring that prior knowledge along, and the
    regression learns how much to trust it (+1 point of complaint F1 on the airline data).
    Saved models refer to this class by its import path: keep the name and module stable."""

    def __init__(self, weight: float = 0.5) -> None:
        self.weight = weight

    def fit(self, texts: Sequence[str], labels: Sequence[str] | None = None) -> "SupportCueFeatures":
        return self

    def transform(self, texts: Sequence[str]) -> csr_matrix:
        return csr_matrix(np.array([_cue_features(text) for text in texts]) * self.weight)


@lru_cache(maxsize=65_536)
def _cue_features(text: str) -> tuple[float, ...]:
    # Cross-validation shows every post to the cues once per fold; VADER is the slow part.
    return tuple(shared_rules().cue_features(text))


def clear_cue_cache() -> None:
    """For honest timings: classifying posts the cues have already seen would be nearly free."""
    _cue_features.cache_clear()


FEATURES = f"tfidf words 1-2 + chars 2-5 + cues of {RULES_VERSION}"


def build_pipeline() -> Pipeline:
    words = TfidfVectorizer(preprocessor=normalise, ngram_range=(1, 2), sublinear_tf=True)
    chars = TfidfVectorizer(preprocessor=normalise, analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True)
    features = FeatureUnion([("words", words), ("chars", chars), ("cues", SupportCueFeatures())])
    model = SGDClassifier(
        loss="log_loss", alpha=1e-4, class_weight="balanced", max_iter=50, tol=1e-4, random_state=0
    )
    return Pipeline([("features", features), ("model", model)])


class TrainedClassifier:
    """A fitted pipeline plus the version it was saved under."""

    def __init__(self, pipeline: Pipeline, version: str) -> None:
        self._pipeline = pipeline
        self.version = version
        self._labels = [str(label) for label in pipeline.classes_]

    def classify(self, text: str) -> Classification:
        return self.classify_many([text])[0]

    def classify_many(self, texts: Iterable[str]) -> list[Classification]:
        batch = [text or "" for text in texts]
        if not batch:
            return []
        # One sparse matrix product for the whole batch: this is where the throughput comes from.
        probabilities = self._pipeline.predict_proba(batch)
        complaint_column = self._labels.index("complaint") if "complaint" in self._labels else None
        return [self._decide(row, complaint_column) for row in probabilities]

    def _decide(self, row: np.ndarray, complaint_column: int | None) -> Classification:
        best = int(row.argmax())
        complaint_score = float(row[complaint_column]) if complaint_column is not None else 0.0
        score = round(float(row[best]), 4)
        return Classification(self._labels[best], score, self.version, round(complaint_score, 4))


def fit(texts: Sequence[str], labels: Sequence[str]) -> Pipeline:
    pipeline = build_pipeline()
    pipeline.fit(list(texts), list(labels))
    return pipeline


@dataclass(frozen=True)
class CrossValidation:
    folds: int
    complaint: ComplaintMetrics | None  # None when the training data has no complaints
    complaint_f1_std: float
    accuracy: float

    def as_dict(self) -> dict:
        return {
            "folds": self.folds,
            "complaint": self.complaint.as_dict() if self.complaint else None,
            "complaint_f1_std": round(self.complaint_f1_std, 4),
            "accuracy": round(self.accuracy, 4),
        }


def fold_indices(labels: Sequence[str], folds: int = MAX_FOLDS) -> list[tuple[np.ndarray, np.ndarray]]:
    """Stratified, shuffled with a fixed seed, so every classifier is scored on the same splits."""
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=0)
    return list(splitter.split(np.zeros(len(labels)), np.asarray(labels)))


def usable_folds(labels: Sequence[str]) -> int:
    """As many folds as the rarest label allows, up to five; below 2 there is nothing to hold out."""
    rarest = min(labels.count(label) for label in set(labels))
    return min(MAX_FOLDS, rarest)


def cross_validate(texts: Sequence[str], labels: Sequence[str], folds: int) -> CrossValidation:
    text_array, label_array = np.asarray(texts, dtype=object), np.asarray(labels, dtype=object)
    per_fold: list[ComplaintMetrics] = []
    correct = 0
    for train_rows, test_rows in fold_indices(labels, folds):
        predicted = fit(text_array[train_rows], label_array[train_rows]).predict(list(text_array[test_rows]))
        per_fold.append(complaint_metrics(list(label_array[test_rows]), list(predicted)))
        correct += int((predicted == label_array[test_rows]).sum())
    has_complaints = "complaint" in labels
    return CrossValidation(
        folds=folds,
        complaint=mean_metrics(per_fold) if has_complaints else None,
        complaint_f1_std=float(np.std([fold.f1 for fold in per_fold])) if has_complaints else 0.0,
        accuracy=correct / len(labels),
    )
