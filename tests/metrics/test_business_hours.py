"""Business-time arithmetic: weekends, time zones and daylight-saving days, exactly."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from community.metrics.business_hours import BusinessHoursError, parse

NEW_YORK = parse("America/New_York", "09:00-17:00", "mon-fri")


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


def test_friday_afternoon_to_monday_morning_counts_two_hours():
    # Fri 16:00 EST -> Mon 10:00 EST: one hour on Friday, one on Monday; the weekend counts nothing.
    assert NEW_YORK.seconds_between(utc(2026, 1, 9, 21), utc(2026, 1, 12, 15)) == 7200


def test_after_hours_reply_counts_until_closing_only():
    assert NEW_YORK.seconds_between(utc(2026, 1, 15, 20), utc(2026, 1, 15, 23)) == 7200


def test_spring_forward_weekend():
    # Clocks go forward on Sunday 8 March 2026: Monday's 09:00 is 13:00 UTC, not 14:00.
    assert NEW_YORK.seconds_between(utc(2026, 3, 6, 17), utc(2026, 3, 9, 16)) == 5 * 3600 + 3 * 3600


def test_whole_weekend_and_reverse_intervals_are_zero():
    assert NEW_YORK.seconds_between(utc(2026, 1, 10, 0), utc(2026, 1, 12, 13, 59)) == 0
    assert NEW_YORK.seconds_between(utc(2026, 1, 12, 15), utc(2026, 1, 12, 14)) == 0


def test_a_full_week():
    assert NEW_YORK.seconds_between(utc(2026, 1, 5, 0), utc(2026, 1, 12, 0)) == 5 * 8 * 3600


def test_other_zone_and_day_list():
    tokyo = parse("Asia/Tokyo", "10:00-12:30", "sat,sun")
    # Saturday 10 January 2026, 10:00-12:30 Tokyo is 01:00-03:30 UTC.
    assert tokyo.seconds_between(utc(2026, 1, 10, 0), utc(2026, 1, 10, 2)) == 3600
    assert tokyo.seconds_between(utc(2026, 1, 12, 0), utc(2026, 1, 12, 9)) == 0  # a Monday


@pytest.mark.parametrize("zone,hours,days", [
    ("Mars/Olympus", "09:00-17:00", "mon-fri"), ("UTC", "17:00-09:00", "mon-fri"), ("UTC", "nine to five", "mon"),
    ("UTC", "09:00-17:00", "monday"),
])
def test_bad_settings_say_what_is_wrong(zone, hours, days):
    with pytest.raises(BusinessHoursError):
        parse(zone, hours, days)
