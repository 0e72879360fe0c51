"""Every dashboard figure, checked exactly against a known history (tests/metrics/history.py)."""
from __future__ import annotations

import pytest

from community.errors import PermissionDenied
from community.metrics import dashboard as metrics

from . import history
from .history import END, NOW, START


@pytest.fixture
def app_overrides():
    return dict(history.BUSINESS)


@pytest.fixture
def world(app):
    return history.build()


def _dash(user, **filters):
    return metrics.dashboard(user, metrics.Filters(start=START, end=END, now=NOW, **filters))


def _rows(result, name):
    return {row[0]: row[1:] for row in result["tables"][name]["rows"]}


def test_overall_figures(world):
    s = _dash(world.admin)["summary"]
    assert s == {
        "threads": 4,
        "first_reply_median_s": 10800.0, "first_reply_p90_s": 237600,
        "first_reply_business_median_s": 7200.0, "first_reply_business_p90_s": 7200,
        "first_staff_reply_median_s": 10800.0, "first_staff_reply_p90_s": 237600,
        "first_staff_reply_business_median_s": 7200.0, "first_staff_reply_business_p90_s": 7200,
        "time_to_solved_median_s": 167400.0, "time_to_solved_p90_s": 248400,
        "time_to_verified_median_s": 252000.0, "time_to_verified_p90_s": 252000,
        "solved": 2, "solved_rate": 0.5, "first_contact_resolved": 1, "first_contact_resolution_rate": 0.5,
        "unanswered": 1, "unanswered_median_age_s": 518400.0, "unanswered_oldest_age_s": 518400,
    }


def test_per_category_and_channel(world):
    result = _dash(world.admin)
    columns = result["tables"]["categories"]["columns"]
    billing = dict(zip(columns, ["Billing", *_rows(result, "categories")["Billing"]]))
    assert billing["threads"] == 2 and billing["first_staff_reply_median_s"] == 122400.0
    assert billing["first_staff_reply_business_median_s"] == 7200.0 and billing["first_contact_resolution_rate"] == 0.5
    shipping = dict(zip(columns, ["Shipping", *_rows(result, "categories")["Shipping"]]))
    assert shipping["threads"] == 2 and shipping["unanswered"] == 1 and shipping["solved_rate"] == 0.0
    channels = result["tables"]["channels"]
    by_channel = {row[0]: dict(zip(channels["columns"], row)) for row in channels["rows"]}
    assert by_channel["community"]["threads"] == 3 and by_channel["x"]["threads"] == 1
    assert by_channel["x"]["first_staff_reply_median_s"] == 10800.0
    assert by_channel["x"]["x_case_first_response_median_s"] == 900.0
    assert by_channel["x"]["x_case_first_response_p90_s"] == 1200


def test_filters_narrow_the_threads(world):
    assert _dash(world.admin, category_id=world.shipping.id)["summary"]["threads"] == 2
    assert _dash(world.admin, channel="x")["summary"]["threads"] == 1
    assert _dash(world.admin, staff_id=world.s2.id)["summary"]["threads"] == 1  # T2: Bob answered first


def test_agents(world):
    rows = _rows(_dash(world.admin), "agents")
    # replies, verified answers, median first response, CSAT responses, CSAT average
    assert rows["Ann Staff"] == [2, 1, 237600.0, 1, 4.0]
    assert rows["Bob Staff"] == [2, 0, 9000.0, 1, 2.0]
    assert "Zed Admin" not in rows  # nothing in the range: no row
    assert _rows(_dash(world.admin, staff_id=world.admin.id), "agents") == {"Zed Admin": [0, 0, None, 0, None]}


def test_sla_csat_deflection_funnel_sentiment(world):
    result = _dash(world.admin)
    assert _rows(result, "sla") == {"Shipping": [1, 0, 1]}
    assert _rows(result, "csat") == {
        "requested": [2], "answered": [2], "response_rate": [1.0], "average": [3.0], "satisfied_rate": [0.5],
        "score_1": [0], "score_2": [1], "score_3": [0], "score_4": [1], "score_5": [0],
    }
    assert _rows(result, "deflection") == {
        "searches_to_solved_thread": [2, 4, 0.5],
        "suggestion_opened_then_abandoned": [1, 3, 0.3333],
        "widget_clicks": [3, 10, 0.3],
    }
    assert _rows(result, "funnel") == {
        "detected": [3, None, 1.0], "invited": [2, 0.6667, 0.6667], "landed": [1, 0.5, 0.3333],
        "joined": [1, 1.0, 0.3333], "posted": [1, 1.0, 0.3333], "verified": [0, 0.0, 0.0],
        "followed_up": [0, None, 0.0],
    }
    assert _rows(result, "sentiment") == {
        "2026-01-05": [2, 1, 0.5, 1, 1, 1.0],
        "2026-01-12": [1, 1, 1.0, 2, 1, 0.5],
    }


def test_staff_see_their_own_figures(world):
    result = _dash(world.s1, staff_id=world.s2.id)  # asking for Bob's is ignored
    assert result["scope"] == "own" and result["filters"]["staff_id"] == world.s1.id
    assert result["summary"]["threads"] == 2  # T1 (answered first) and T4 (assigned)
    assert result["summary"]["first_staff_reply_median_s"] == 124200.0
    assert list(_rows(result, "agents")) == ["Ann Staff"]
    assert _rows(result, "csat")["answered"] == [1]


def test_customers_and_anonymous_are_refused(world):
    for user in (world.c1, None):
        with pytest.raises(PermissionDenied):
            _dash(user)


def test_rollup_follows_changes_and_drops_deleted_threads(world):
    from community.extensions import db
    from community.metrics import rollup as metrics_rollup

    t3 = world.threads["t3"]
    t3.deleted_at = NOW
    db.session.commit()
    metrics_rollup.refresh_thread_facts()
    assert _dash(world.admin)["summary"]["unanswered"] == 0
    assert metrics_rollup.refresh_thread_facts() == 0  # nothing stale: a second run recomputes nothing
