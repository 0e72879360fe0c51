"""The search page's filter column: which options it offers and how many results each gives.

Counts come from the backend (Facets, filtered by the viewer's access); this module names the
date ranges, pairs category ids with the categories the viewer may read (an id the viewer cannot
read is dropped, whatever the index says) and marks what is selected. No URLs: the template
builds the links from these.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone

from .backend import Facets

# name -> (label, days back). The link sets from=<that day>, so counts start at its midnight (UTC).
DATE_RANGES = {"week": ("Past week", 7), "month": ("Past month", 30), "year": ("Past year", 365)}


def date_starts(now: datetime) -> dict[str, datetime]:
    today = now.astimezone(timezone.utc).date() if now.tzinfo else now.date()
    return {name: _midnight(today - timedelta(days=days)) for name, (_label, days) in DATE_RANGES.items()}


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=timezone.utc)


@dataclass
class Option:
    value: str  # what the filter's URL parameter is set to ("" clears it)
    label: str
    count: int | None
    selected: bool = False


@dataclass
class Panel:
    categories: list[Option] = field(default_factory=list)
    states: list[Option] = field(default_factory=list)
    verified: Option | None = None
    tags: list[Option] = field(default_factory=list)
    dates: list[Option] = field(default_factory=list)

    @property
    def active(self) -> list[tuple[str, Option]]:
        """(parameter, option) of each filter set, for the bar of filters to remove."""
        groups = (("category", self.categories), ("state", self.states), ("tag", self.tags), ("from", self.dates))
        chosen = [(name, option) for name, options in groups for option in options if option.selected and option.value]
        if self.verified and self.verified.selected:
            chosen.append(("verified", self.verified))
        return chosen


def panel(facets: Facets | None, categories, filters, now: datetime) -> Panel:
    """`categories`: the ones the viewer may read; `filters`: the page's SearchFilters."""
    counts = facets or Facets()
    known = {category.id: category.name for category in categories}
    found = Panel()
    found.categories = [Option("", "All categories", None, filters.category_id is None)] + [
        Option(str(category_id), known[category_id], n, category_id == filters.category_id)
        for category_id, n in sorted(counts.categories.items(), key=lambda e: (-e[1], known.get(e[0], "")))
        if category_id in known and (n or category_id == filters.category_id)
    ]
    found.states = [
        Option("", "Any status", None, filters.state is None),
        Option("solved", "Solved", counts.states.get("solved", 0) if facets else None, filters.state == "solved"),
        Option("unsolved", "Unsolved", counts.states.get("unsolved", 0) if facets else None, filters.state == "unsolved"),
    ]
    found.verified = Option("1", "Staff-verified answer", counts.verified if facets else None, filters.verified_only)
    tag = (filters.tag or "").strip().lower() or None
    found.tags = [Option("", "Any tag", None, tag is None)] + [
        Option(name, name, n, name == tag) for name, n in counts.tags.items()
    ]
    if tag and tag not in counts.tags:
        found.tags.append(Option(tag, tag, 0 if facets else None, True))
    chosen_from = filters.date_from.date().isoformat() if filters.date_from and not filters.date_to else None
    found.dates = [Option("", "Any time", None, filters.date_from is None and filters.date_to is None)]
    for name, start in date_starts(now).items():
        value = start.date().isoformat()
        found.dates.append(Option(value, DATE_RANGES[name][0], counts.dates.get(name) if facets else None,
                                  value == chosen_from))
    return found
