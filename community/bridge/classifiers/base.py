"""What every post classifier returns and promises."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Protocol

LABELS = ("complaint", "question", "praise", "other")


@dataclass(frozen=True)
class Classification:
    label: str
    score: float  # confidence in `label`, 0..1
    version: str  # which classifier (and which training of it) decided
    complaint_score: float  # probability-like 0..1 that the post is a complaint, whatever the label


class Classifier(Protocol):
    version: str

    def classify(self, text: str) -> Classification: ...

    def classify_many(self, texts: Iterable[str]) -> list[Classification]: ...
