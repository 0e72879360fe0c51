"""Settings of this domain (name -> (default, description); environment COMMUNITY_<NAME>).

The service dashboard: business hours, SLA alerts, CSAT, sentiment labelling. community/config.py
adds them to the one settings table.
"""
from __future__ import annotations

from typing import Any

SETTINGS: dict[str, tuple[Any, str]] = {
    "BUSINESS_TIMEZONE": ("UTC", "Time zone of business hours, for the dashboard's business-hours figures (e.g. Europe/Berlin)."),
    "BUSINESS_HOURS": ("09:00-17:00", "Daily business hours, local time, as HH:MM-HH:MM."),
    "BUSINESS_DAYS": ("mon-fri", "Business days: a range (mon-fri) or a list (mon,tue,thu)."),
    "SLA_WARNING_MINUTES": (60, "The staff inbox shows a countdown for threads this many minutes or less from an SLA breach."),
    "SLA_ALERT_EMAIL": (None, "Address told about each SLA breach (the SLA page may set another; unset: no email)."),
    "SLA_LOOKBACK_DAYS": (30, "The SLA check looks at threads opened in the last this many days."),
    "CSAT_ENABLED": (True, "Ask the asker one satisfaction question (in-app and email) when a thread is solved."),
    "CSAT_LINK_MAX_AGE": (30 * 86400, "Seconds the rating links in a CSAT email stay valid."),
    "METRICS_SENTIMENT_BATCH": (20_000, "Community posts the metrics job classifies per run (oldest unlabelled first)."),
    "METRICS_SENTIMENT_BACKFILL_DAYS": (90, "On its first run the metrics job classifies community posts from this many days back."),
}
