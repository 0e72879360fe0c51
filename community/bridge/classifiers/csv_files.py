"""Reading the CSV files the classifier commands take: labelled posts (to train) and posts (to classify).

Files come from spreadsheets and exports, so: UTF-8 with or without a BOM, CRLF or LF, quoted
fields with newlines or carriage returns inside, header names in any case. Anything else is a
ValidationFailed with a message that says what to fix; never a traceback.

The labelled format (columns `text` and `label`) is also what a future `flask bridge export-labels`
would write from staff triage decisions, so a round trip needs no conversion.
"""
from __future__ import annotations

import csv
import io
import sys
from dataclasses import dataclass
from pathlib import Path

from ...errors import ValidationFailed
from .base import LABELS

TEXT_COLUMN = "text"
LABEL_COLUMN = "label"
PREFERRED_ID_COLUMNS = ("id", "tweet_id")
_MAX_LISTED_PROBLEMS = 5


@dataclass(frozen=True)
class Post:
    row: int  # 1-based data row, for messages when there is no id
    id: str | None  # kept as text: tweet ids are 18-digit numbers that floats would round
    text: str


@dataclass(frozen=True)
class Table:
    columns: list[str]  # as written in the header
    rows: list[dict[str, str]]  # keyed by lower-cased, stripped header names
    line_numbers: list[int]  # file line where each row ends, for messages


def read_table(path: Path) -> Table:
    text = _decode(path)
    if not text.strip():
        raise ValidationFailed(f"{path.name} is empty: expected a header line and at least one row.")
    # Raise the field limit so one very long post is read, not rejected as a CSV error.
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))
    # strict: an unbalanced quote is an error, not a field that silently swallows the rest of the file.
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader)
        rows, line_numbers = [], []
        for record in reader:
            if not any(field.strip() for field in record):
                continue
            rows.append(record)
            line_numbers.append(reader.line_num)
    except csv.Error as error:
        message = f"{path.name} is not a readable CSV file (line {reader.line_num}): {error}."
        raise ValidationFailed(message) from error
    keys = [name.strip().lower() for name in header]
    return Table(header, [dict(zip(keys, _pad(record, len(keys)))) for record in rows], line_numbers)


def _pad(record: list[str], width: int) -> list[str]:
    return record + [""] * (width - len(record))


def _decode(path: Path) -> str:
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise ValidationFailed(f"cannot read {path}: {error.strerror or error}.") from error
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ValidationFailed(
            f"{path.name} is not UTF-8 text (byte 0x{raw[error.start]:02x} at offset {error.start}). "
            "Save it as CSV UTF-8 and try again."
        ) from error


def _require_columns(path: Path, table: Table, *names: str) -> None:
    present = {name.strip().lower() for name in table.columns}
    missing = [name for name in names if name not in present]
    if missing:
        found = ", ".join(repr(column) for column in table.columns) or "no columns"
        raise ValidationFailed(f"{path.name} has no {', '.join(repr(m) for m in missing)} column (found {found}).")
    if not table.rows:
        raise ValidationFailed(f"{path.name} has a header but no rows.")


def read_labelled(path: Path) -> tuple[list[str], list[str]]:
    """Texts and labels for training; every label must be one of LABELS."""
    table = read_table(path)
    _require_columns(path, table, TEXT_COLUMN, LABEL_COLUMN)
    texts = [row[TEXT_COLUMN] for row in table.rows]
    labels = [row[LABEL_COLUMN].strip().lower() for row in table.rows]
    problems = _label_problems(table, texts, labels)
    if problems:
        raise ValidationFailed(f"{path.name}: " + "; ".join(problems[:_MAX_LISTED_PROBLEMS]) + _more(problems))
    return texts, labels


def _label_problems(table: Table, texts: list[str], labels: list[str]) -> list[str]:
    problems = []
    for line, text, label in zip(table.line_numbers, texts, labels):
        if label not in LABELS:
            problems.append(f"line {line}: unknown label {label!r} (use one of {', '.join(LABELS)})")
        elif not text.strip():
            problems.append(f"line {line}: empty text")
    return problems


def _more(problems: list[str]) -> str:
    extra = len(problems) - _MAX_LISTED_PROBLEMS
    return f" (and {extra} more)." if extra > 0 else "."


def read_posts(path: Path) -> list[Post]:
    """Posts to classify: the `text` column plus an id column when there is one."""
    table = read_table(path)
    _require_columns(path, table, TEXT_COLUMN)
    id_column = id_column_of([name.strip().lower() for name in table.columns])
    return [
        Post(row=number, id=row.get(id_column) if id_column else None, text=row[TEXT_COLUMN])
        for number, row in enumerate(table.rows, start=1)
    ]


def id_column_of(columns: list[str]) -> str | None:
    """`id`, else `tweet_id`, else the first column whose name ends in "id" (post_id, messageid)."""
    for preferred in PREFERRED_ID_COLUMNS:
        if preferred in columns:
            return preferred
    return next((name for name in columns if name.endswith("id")), None)
