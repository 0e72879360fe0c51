"""Exact business-time arithmetic: how many seconds of an interval fall inside business hours.

Business hours are one daily window (e.g. 09:00-17:00) on chosen weekdays in one time zone. Each
day's window is placed in local time and converted to UTC with zoneinfo, so daylight-saving days
are 7 or 9 hours long in UTC terms exactly as the clock on the wall says. Pure functions: the
settings are parsed once into a BusinessHours value.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Mapping
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class BusinessHoursError(ValueError):
    """The business-hours settings cannot be understood."""


@dataclass(frozen=True)
class BusinessHours:
    zone: ZoneInfo
    start: time
    end: time
    weekdays: frozenset[int]  # 0 = Monday

    def window(self, day: date) -> tuple[datetime, datetime] | None:
        """That local day's business window in UTC, or None when it is not a business day."""
        if day.weekday() not in self.weekdays:
            return None
        opens = datetime.combine(day, self.start, self.zone).astimezone(timezone.utc)
        closes = datetime.combine(day, self.end, self.zone).astimezone(timezone.utc)
        return opens, closes

    def seconds_between(self, start: datetime, end: datetime) -> int:
        """Business seconds in [start, end); 0 when end is not after start."""
        start, end = _aware(start), _aware(end)
        if end <= start:
            return 0
        total = 0.0
        day = start.astimezone(self.zone).date()
        last = end.astimezone(self.zone).date()
        while day <= last:
            window = self.window(day)
            if window:
                overlap = (min(end, window[1]) - max(start, window[0])).total_seconds()
                total += max(0.0, overlap)
            day += timedelta(days=1)
        return int(total)


def parse(zone_name: str, hours: str, days: str) -> BusinessHours:
    """BUSINESS_TIMEZONE ("Europe/Berlin"), BUSINESS_HOURS ("09:00-17:00"), BUSINESS_DAYS ("mon-fri" or
    "mon,tue,wed")."""
    try:
        zone = ZoneInfo(zone_name)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise BusinessHoursError(f"Unknown time zone {zone_name!r}.") from error
    start, end = _parse_hours(hours)
    return BusinessHours(zone=zone, start=start, end=end, weekdays=_parse_days(days))


def from_config(config: Mapping) -> BusinessHours:
    return parse(config["BUSINESS_TIMEZONE"], config["BUSINESS_HOURS"], config["BUSINESS_DAYS"])


def _parse_hours(hours: str) -> tuple[time, time]:
    try:
        opens, closes = (time.fromisoformat(part.strip()) for part in hours.split("-"))
    except ValueError as error:
        raise BusinessHoursError(f"Business hours must look like 09:00-17:00, not {hours!r}.") from error
    if closes <= opens:
        raise BusinessHoursError("Business hours must close after they open on the same day.")
    return opens, closes


def _parse_days(days: str) -> frozenset[int]:
    chosen: set[int] = set()
    for part in days.lower().replace(" ", "").split(","):
        first, _, last = part.partition("-")
        if first not in DAY_NAMES or (last and last not in DAY_NAMES):
            raise BusinessHoursError(f"Business days are names like mon-fri or mon,wed; {part!r} is not.")
        a, b = DAY_NAMES.index(first), DAY_NAMES.index(last or first)
        chosen.update(range(a, b + 1) if a <= b else [*range(a, 7), *range(0, b + 1)])
    return frozenset(chosen)


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
