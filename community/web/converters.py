"""URL converters shared by every blueprint."""
from __future__ import annotations

from typing import Any

from werkzeug.exceptions import NotFound
from werkzeug.routing import IntegerConverter

# Ids are 64-bit in PostgreSQL and SQLite; a bigger number in a URL can name no row, and passing it to the
# database would raise an overflow error (a 500) instead of the 404 the visitor should get.
LARGEST_ID = 2**63 - 1


class DatabaseIdConverter(IntegerConverter):
    """An int that fits a database id. A bigger one is a 404 for every method: not the converter's
    usual "no match" (ValidationError), after which Werkzeug answers 405 for a method another rule
    on the same path takes (PATCH /api/v1/posts/<huge> answered 405 while GET answered 404)."""

    def to_python(self, value: str) -> Any:
        number = super().to_python(value)
        if number > LARGEST_ID:
            raise NotFound()
        return number
