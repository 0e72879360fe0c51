"""Labelled sentiment data for measuring the classifiers (bench/bridge_bench.py and the tests).

Sentiment-labelled posts to a brand stand in for triage decisions until staff have made some:
negative -> complaint, positive -> praise, neutral -> other. There are no questions in such data,
which is fine because what is scored is complaint against the rest.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ...errors import ValidationFailed
from .csv_files import id_column_of, read_table

SENTIMENT_TO_LABEL = {"negative": "complaint", "positive": "praise", "neutral": "other"}
SENTIMENT_COLUMNS = ("airline_sentiment", "sentiment")


@dataclass(frozen=True)
class LabelledPosts:
    ids: list[str]  # strings: tweet ids are 18 digits, past what a float holds exactly
    texts: list[str]
    labels: list[str]


def read_sentiment_csv(path: Path) -> LabelledPosts:
    table = read_table(path)
    columns = [name.strip().lower() for name in table.columns]
    sentiment = next((name for name in SENTIMENT_COLUMNS if name in columns), None)
    if sentiment is None or "text" not in columns:
        raise ValidationFailed(f"{path.name} needs a text column and one of {', '.join(SENTIMENT_COLUMNS)}.")
    id_column = id_column_of(columns)
    rows = [row for row in table.rows if row[sentiment].strip().lower() in SENTIMENT_TO_LABEL]
    return LabelledPosts(
        ids=[row[id_column] if id_column else str(number) for number, row in enumerate(rows, start=1)],
        texts=[row["text"] for row in rows],
        labels=[SENTIMENT_TO_LABEL[row[sentiment].strip().lower()] for row in rows],
    )
