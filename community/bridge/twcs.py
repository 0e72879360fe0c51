"""Reader for the "Customer Support on Twitter" export (twcs.csv): `flask bridge import` reads it
(ingest.py), and the fake X (fake_x/twcs.py) seeds itself from it.

The file's quirks: a leading unnamed index column, in_response_to_tweet_id written as a float
("3.0"), response_tweet_id as a comma-separated list, and at least one raw carriage return inside
an unquoted text field, which the csv module would otherwise take for the end of the record.
"""
from __future__ import annotations

import csv
import io
import zlib
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

_CR_STANDIN = "\ue000"  # a private-use character no tweet contains
TWCS_TIME_FORMAT = "%a %b %d %H:%M:%S %z %Y"


@dataclass(frozen=True)
class TwcsRow:
    tweet_id: str
    author: str
    inbound: bool
    created_at: datetime
    text: str
    response_tweet_ids: tuple[str, ...]
    in_response_to: str | None


def _id_or_none(value: str) -> str | None:
    """'3.0' -> '3'. Decimal, not float, so long ids keep every digit."""
    value = value.strip()
    if not value:
        return None
    try:
        return str(int(Decimal(value)))
    except InvalidOperation as exc:
        raise ValueError(f"not a tweet id: {value!r}") from exc


def read_twcs(path: str | Path) -> list[TwcsRow]:
    # newline="" keeps the raw carriage return; text mode's default would turn it into a line end.
    with open(path, encoding="utf-8", newline="") as handle:
        return parse_twcs(handle.read())


def parse_twcs(text: str) -> list[TwcsRow]:
    protected = text.replace("\r\n", "\n").replace("\r", _CR_STANDIN)
    reader = csv.DictReader(io.StringIO(protected, newline=""))
    rows = []
    for record in reader:
        if None in record or None in record.values():
            raise ValueError(f"line {reader.line_num}: wrong number of fields")
        rows.append(row_from_record(record))
    return rows


def row_from_record(record: dict[str, str]) -> TwcsRow:
    responses = (record.get("response_tweet_id") or "").split(",")
    return TwcsRow(
        tweet_id=_id_or_none(record["tweet_id"]) or "",
        author=record["author_id"].strip(),
        inbound=record["inbound"].strip().lower() == "true",
        created_at=datetime.strptime(record["created_at"].strip(), TWCS_TIME_FORMAT),
        # A carriage return inside a tweet is a line break the author typed.
        text=record["text"].replace(_CR_STANDIN, "\n"),
        response_tweet_ids=tuple(filter(None, map(_id_or_none, responses))),
        in_response_to=_id_or_none(record.get("in_response_to_tweet_id") or ""),
    )


def user_id_for(author: str) -> str:
    """Customers in twcs are already anonymised numbers; brands (sprintcare) get a stable numeric id."""
    return author if author.isdigit() else str(10**12 + zlib.crc32(author.encode()))
