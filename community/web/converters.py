"""URL converters shared by every blueprint."""
from __future__ import annotations

from typing import Any

from werkzeug.routing import IntegerConverter

# Ids are 64-bit in PostgreSQL and SQLite; a bigger number in a URL can name no row, and passing it to the
# database would raise an overflow error (a 500) instead of the 404 the visitor should get.
LARGEST_ID = 2**63 - 1


class DatabaseIdConverter(IntegerConverter):
    def __init__(self, map: Any, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", LARGEST_ID)
        super().__init__(map, *args, **kwargs)
