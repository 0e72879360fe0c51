"""Complaint-versus-rest figures: what the bridge is for is finding complaints."""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Sequence


@dataclass(frozen=True)
class ComplaintMetrics:
    precision: float
    recall: float
    f1: float
    support: int  # true complaints among the posts scored

    def as_dict(self) -> dict[str, float | int]:
        return {key: round(value, 4) if isinstance(value, float) else value for key, value in asdict(self).items()}


def complaint_metrics(true_labels: Sequence[str], predicted_labels: Sequence[str]) -> ComplaintMetrics:
    pairs = list(zip(true_labels, predicted_labels, strict=True))
    true_pos = sum(1 for truth, guess in pairs if truth == "complaint" and guess == "complaint")
    predicted_pos = sum(1 for _truth, guess in pairs if guess == "complaint")
    actual_pos = sum(1 for truth, _guess in pairs if truth == "complaint")
    precision = true_pos / predicted_pos if predicted_pos else 0.0
    recall = true_pos / actual_pos if actual_pos else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return ComplaintMetrics(precision, recall, f1, actual_pos)


def mean_metrics(folds: Sequence[ComplaintMetrics]) -> ComplaintMetrics:
    count = len(folds)
    return ComplaintMetrics(
        precision=sum(fold.precision for fold in folds) / count,
        recall=sum(fold.recall for fold in folds) / count,
        f1=sum(fold.f1 for fold in folds) / count,
        support=sum(fold.support for fold in folds),
    )
