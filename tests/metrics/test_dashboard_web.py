"""/staff/dashboard: who sees what, filters, accessible charts, JSON, and CSV export."""
from __future__ import annotations

import csv
import io

import pytest

from community.extensions import db
from community.metrics.views import safe_cell

from . import history

RANGE = {"start": "2026-01-05", "end": "2026-01-18"}


@pytest.fixture
def app_overrides():
    return dict(history.BUSINESS)


@pytest.fixture
def world(app):
    return history.build()


def test_customers_get_403_and_anonymous_too(client, auth, world):
    assert client.get("/staff/dashboard").status_code == 403
    assert client.get("/staff/dashboard/export/overview.csv").status_code == 403
    auth.sign_in(world.c1)
    assert client.get("/staff/dashboard", query_string=RANGE).status_code == 403
    assert client.get("/staff/dashboard/export/agents.csv", query_string=RANGE).status_code == 403


def test_admin_page_has_charts_that_read_as_tables(client, auth, world):
    auth.sign_in(world.admin)
    response = client.get("/staff/dashboard", query_string=RANGE)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'role="img"' in page and "<title id=\"chart-agents-title\">" in page
    assert '<table class="dashboard-table" data-table="agents">' in page
    assert "Ann Staff" in page and "Bob Staff" in page and "Figures for the whole team" in page
    assert '<option value="%d"' % world.s2.id in page  # admins may pick any staff member
    assert "<script>" not in page and "style=" not in page


def test_staff_page_shows_only_their_own_figures(client, auth, world):
    auth.sign_in(world.s2)
    page = client.get("/staff/dashboard", query_string={**RANGE, "staff": world.s1.id}).get_data(as_text=True)
    assert "Your own figures" in page and "Bob Staff" in page and "Ann Staff" not in page


def test_bad_filters_answer_422_and_keep_what_was_typed(client, auth, world):
    auth.sign_in(world.admin)
    response = client.get("/staff/dashboard", query_string={"start": "yesterday", "end": "2026-01-18", "channel": "fax"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'value="yesterday"' in page and "Use a date like" in page and "Choose community or x" in page
    reversed_range = client.get("/staff/dashboard", query_string={"start": "2026-02-01", "end": "2026-01-01"})
    assert reversed_range.status_code == 422
    as_json = client.get("/staff/dashboard/export/overview.csv", query_string={"start": "nope"})
    assert as_json.status_code == 422


def test_json_for_the_api(client, auth, world):
    auth.sign_in(world.admin)
    data = client.get("/staff/dashboard", query_string=RANGE, headers={"Accept": "application/json"}).get_json()
    assert data["summary"]["threads"] == 4 and data["scope"] == "all"
    assert set(data["tables"]) >= {"agents", "categories", "channels", "sla", "deflection", "funnel", "sentiment", "csat"}


def test_csv_export_of_every_table(client, auth, world):
    auth.sign_in(world.admin)
    data = client.get("/staff/dashboard", query_string=RANGE, headers={"Accept": "application/json"}).get_json()
    for name, table in data["tables"].items():
        response = client.get(f"/staff/dashboard/export/{name}.csv", query_string=RANGE)
        assert response.status_code == 200
        assert response.mimetype == "text/csv" and "attachment" in response.headers["Content-Disposition"]
        rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
        assert len(rows) == len(table["rows"]) + 1
    agents = list(csv.reader(io.StringIO(client.get("/staff/dashboard/export/agents.csv", query_string=RANGE)
                                         .get_data(as_text=True))))
    assert ["Ann Staff", "2", "1", "237600.0", "1", "4.0"] in agents
    assert client.get("/staff/dashboard/export/nope.csv", query_string=RANGE).status_code == 404


def test_csv_cells_cannot_become_formulas(client, auth, world):
    world.billing.name = "=HYPERLINK(\"http://evil\")"
    db.session.commit()
    auth.sign_in(world.admin)
    text = client.get("/staff/dashboard/export/categories.csv", query_string=RANGE).get_data(as_text=True)
    first_cells = [row[0] for row in csv.reader(io.StringIO(text))]
    assert "'=HYPERLINK(\"http://evil\")" in first_cells
    assert [safe_cell(v) for v in ("+1", "-x", "@a", "plain", -5, 2.5, None)] == ["'+1", "'-x", "'@a", "plain", "-5", "2.5", ""]
