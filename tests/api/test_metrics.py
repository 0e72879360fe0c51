"""/api/v1/metrics gives the dashboard's own figures, scoped like the page: own for staff, all for admins."""
from community.metrics import dashboard as metrics

from .conftest import ApiClient, issue_token


def test_metrics_follow_the_dashboard_rules(app, client, make_user, make_thread):
    admin, staff, customer = make_user(role="admin"), make_user(role="staff"), make_user()
    make_thread(author=customer)
    as_admin = ApiClient(client, issue_token(admin))
    figures = as_admin.get("/metrics?start=2026-01-01&end=2026-01-31")
    assert figures.status_code == 200 and figures.json["scope"] == "all"
    expected = metrics.dashboard(admin, metrics.parse_filters({"start": "2026-01-01", "end": "2026-01-31"}))
    assert figures.json["summary"] == expected["summary"] and set(figures.json["tables"]) == set(expected["tables"])
    assert ApiClient(client, issue_token(staff)).get("/metrics").json["scope"] == "own"
    refused = ApiClient(client, issue_token(customer)).get("/metrics")
    assert refused.status_code == 403 and refused.json["error"]["code"] == "forbidden"
    bad = as_admin.get("/metrics?start=2026-02-01&end=2026-01-01&channel=fax")
    assert bad.status_code == 422 and set(bad.json["error"]["fields"]) == {"start", "channel"}
