"""/staff/bridge: permissions, filters, triage actions with optimistic locking, assignment, canned
responses, keywords and the status page, and export-labels → train."""
from __future__ import annotations

import csv
from datetime import timedelta

import pytest
from sqlalchemy import select

from community.extensions import db
from community.models import AuditEntry, BridgeCase, BridgeOptOut, BridgePollLog, CaseStatus, utcnow
from community.bridge import ingest as bridge_ingest

BRAND = bridge_ingest.Brand("999", "acmehelp")


def _case(post_id: str, text: str, author: str = "77", followers: int | None = None, summoned: bool = True,
          hours_old: float = 1.0) -> BridgeCase:
    post = bridge_ingest.Incoming(
        post_id=post_id, author_id=author, author_username=f"user{author}", text=text,
        posted_at=utcnow() - timedelta(hours=hours_old), author_followers=followers,
        mentions_brand=summoned)
    bridge_ingest.store_posts([post], "mentions", BRAND)
    return db.session.scalar(select(BridgeCase).where(BridgeCase.conversation_id == post_id))


def _audit(action: str) -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


ROLES = ["anonymous", "customer", "marketer", "staff", "moderator", "admin"]
PAGES = {"/staff/bridge": {"staff", "moderator", "admin"}, "/staff/bridge/status": {"admin"},
         "/staff/bridge/canned": {"admin"}}


@pytest.mark.backends("sqlite")
@pytest.mark.parametrize("path", PAGES)
@pytest.mark.parametrize("role", ROLES)
def test_permission_matrix(client, auth, make_user, role, path):
    if role != "anonymous":
        auth.sign_in(make_user(role=role))
    response = client.get(path)
    assert response.status_code == (200 if role in PAGES[path] else 403)
    posted = client.post("/staff/bridge/cases/1/act", data={"action": "ignore", "version": "1"})
    assert posted.status_code == (404 if role in PAGES["/staff/bridge"] else 403)


def test_inbox_orders_by_priority_and_filters(client, auth, make_user):
    staff = make_user(role="staff")
    auth.sign_in(staff)
    praise = _case("1", "@acmehelp thanks, you are great, love it", followers=10)
    complaint = _case("2", "@acmehelp my order is late again, terrible service, I want a refund", followers=5000)
    quiet = _case("3", "acme widgets exist", summoned=False)
    page = client.get("/staff/bridge").get_data(as_text=True)
    assert page.index('data-case-id="%d"' % complaint.id) < page.index('data-case-id="%d"' % praise.id)
    # Invites go only to posts that tagged the brand; the others are read-only.
    assert f'action="/staff/bridge/cases/{complaint.id}/invite"' in page
    assert f'action="/staff/bridge/cases/{quiet.id}/invite"' not in page
    assert "Did not tag us: read only" in page
    only_unsummoned = client.get("/staff/bridge?summoned=no").get_data(as_text=True)
    assert f'data-case-id="{quiet.id}"' in only_unsummoned and f'data-case-id="{complaint.id}"' not in only_unsummoned
    by_label = client.get(f"/staff/bridge?label={complaint.label}").get_data(as_text=True)
    assert f'data-case-id="{complaint.id}"' in by_label
    client.post(f"/staff/bridge/cases/{praise.id}/assign", data={"assignee": str(staff.id), "version": "1"})
    mine = client.get("/staff/bridge?assigned=me").get_data(as_text=True)
    assert f'data-case-id="{praise.id}"' in mine and f'data-case-id="{complaint.id}"' not in mine
    unassigned = client.get("/staff/bridge?assigned=unassigned").get_data(as_text=True)
    assert f'data-case-id="{praise.id}"' not in unassigned
    # Bad filter values fall back to defaults rather than failing.
    assert client.get("/staff/bridge?status=nope&label=<x>&summoned=2").status_code == 200


def test_priority_formula():
    from community.bridge.triage import priority

    now = utcnow()
    case = BridgeCase(complaint_score=0.5, author_followers=999, detected_at=now - timedelta(hours=100))
    assert priority(case, now) == pytest.approx(50 + 24 + 48, abs=0.1)


def test_actions_are_audited_and_the_second_staff_member_gets_a_409(client, auth, make_user):
    first, second = make_user(role="staff"), make_user(role="moderator")
    case = _case("10", "@acmehelp broken")
    auth.sign_in(first)
    response = client.post(f"/staff/bridge/cases/{case.id}/act", data={"action": "ignore", "version": "1"})
    assert response.status_code == 302
    db.session.refresh(case)
    assert case.status == CaseStatus.ignored and case.version == 2 and case.triaged_at is not None
    assert len(_audit("bridge.case_ignore")) == 1

    auth.sign_in(second)
    stale = client.post(f"/staff/bridge/cases/{case.id}/act", data={"action": "spam", "version": "1"})
    assert stale.status_code == 409
    assert "it is now ignored" in stale.get_data(as_text=True)
    stale_json = client.post(f"/staff/bridge/cases/{case.id}/label", data={"label": "question", "version": "1"},
                             headers={"Accept": "application/json"})
    assert stale_json.status_code == 409 and "ignored" in stale_json.get_json()["error"]["message"]
    db.session.refresh(case)
    assert case.status == CaseStatus.ignored and _audit("bridge.case_spam") == []

    missing_version = client.post(f"/staff/bridge/cases/{case.id}/act", data={"action": "spam"})
    assert missing_version.status_code == 400
    unknown = client.post(f"/staff/bridge/cases/{case.id}/act", data={"action": "explode", "version": "2"})
    assert unknown.status_code == 422


def test_opt_out_action_records_the_author_and_drops_later_posts(client, auth, make_user):
    auth.sign_in(make_user(role="admin"))
    case = _case("20", "@acmehelp hello", author="555")
    response = client.post(f"/staff/bridge/cases/{case.id}/act", data={"action": "opt_out", "version": "1"},
                           headers={"Accept": "application/json"})
    assert response.get_json()["status"] == "opted_out"
    assert db.session.scalar(select(BridgeOptOut.reason).where(BridgeOptOut.author_id == "555")) == "staff"
    counts = bridge_ingest.store_posts([bridge_ingest.Incoming(post_id="21", author_id="555", text="again",
                                                                posted_at=utcnow())], "mentions", BRAND)
    assert counts.dropped == 1 and counts.stored == 0
    assert len(_audit("bridge.case_opt_out")) == 1


def test_assignment_only_to_staff_and_audited(client, auth, make_user):
    staff, customer = make_user(role="staff"), make_user()
    auth.sign_in(staff)
    case = _case("30", "@acmehelp help")
    refused = client.post(f"/staff/bridge/cases/{case.id}/assign", data={"assignee": str(customer.id), "version": "1"})
    assert refused.status_code == 422
    done = client.post(f"/staff/bridge/cases/{case.id}/assign", data={"assignee": str(staff.id), "version": "1"},
                       headers={"Accept": "application/json"})
    assert done.get_json()["assigned_to_id"] == staff.id
    assert _audit("bridge.case_assign")[0].after == {"assigned_to_id": staff.id}


def test_staff_labels_export_and_train_round_trip(app, client, auth, make_user, tmp_path):
    auth.sign_in(make_user(role="staff"))
    texts = {"complaint": ["my order is late", "refund me now, broken again", "worst support ever"],
             "praise": ["thanks so much, fixed!", "love the new app", "great help today"]}
    number = 100
    for label, items in texts.items():
        for text in items:
            number += 1
            case = _case(str(number), text)
            response = client.post(f"/staff/bridge/cases/{case.id}/label", data={"label": label, "version": "1"})
            assert response.status_code == 302
    _case("999", "an unlabelled post")  # never exported: staff did not confirm it
    out = tmp_path / "labels.csv"
    result = app.test_cli_runner().invoke(args=["bridge", "export-labels", str(out)])
    assert "wrote 6 labelled posts" in result.output
    with open(out, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert {(row["text"], row["label"]) for row in rows} == {(t, label) for label, items in texts.items() for t in items}
    trained = app.test_cli_runner().invoke(args=["bridge", "train", str(out), "--name", "from-triage"])
    assert trained.exit_code == 0, trained.output
    assert "trained from-triage" in trained.output and "complaint 3" in trained.output
    assert len(_audit("bridge.case_label")) == 6


def test_bad_label_and_gone_canned_are_422(client, auth, make_user):
    auth.sign_in(make_user(role="staff"))
    case = _case("40", "@acmehelp x")
    assert client.post(f"/staff/bridge/cases/{case.id}/label", data={"label": "angry", "version": "1"}).status_code == 422
    gone = client.post(f"/staff/bridge/cases/{case.id}/label", data={"label": "question", "version": "1", "canned": "77"})
    assert gone.status_code == 422


def test_keywords_form_saves_audits_and_keeps_bad_input(client, auth, make_user):
    auth.sign_in(make_user(role="admin"))
    response = client.post("/staff/bridge/status/keywords", data={"keywords": "acme\nAcme Cloud, acme"})
    assert response.status_code == 302
    page = client.get("/staff/bridge/status").get_data(as_text=True)
    assert "(acme OR &#34;Acme Cloud&#34;) -is:retweet" in page or '(acme OR "Acme Cloud") -is:retweet' in page
    assert _audit("bridge.keywords")[0].after == ["acme", "Acme Cloud"]
    bad = client.post("/staff/bridge/status/keywords", data={"keywords": "fine\n<script>bad</script>"})
    assert bad.status_code == 422
    text = bad.get_data(as_text=True)
    assert "&lt;script&gt;bad&lt;/script&gt;" in text and "field-error" in text


def test_status_page_shows_polls_errors_headroom_and_budget(client, auth, make_user):
    auth.sign_in(make_user(role="admin"))
    db.session.add(BridgePollLog(source="mentions", requests=2, fetched=30, stored=25, duplicates=5, errors=1,
                                 bad_input=1, error_message="unreadable answer: 502 answer is not JSON",
                                 rate_limit=450, rate_remaining=448, finished_at=utcnow()))
    db.session.commit()
    page = client.get("/staff/bridge/status").get_data(as_text=True)
    assert "Posts read today: 30 of 10000" in page
    assert "448 of 450" in page and "502 answer is not JSON" in page
    assert "Polling is off" in page


def test_canned_responses_crud(client, auth, make_user):
    auth.sign_in(make_user(role="admin"))
    assert client.post("/staff/bridge/canned", data={"title": "Sorry", "body": "Sorry! Join us: {link}"}).status_code == 302
    duplicate = client.post("/staff/bridge/canned", data={"title": "Sorry", "body": "again"})
    assert duplicate.status_code == 422 and "again" in duplicate.get_data(as_text=True)
    empty = client.post("/staff/bridge/canned", data={"title": "", "body": ""})
    assert empty.status_code == 422
    from community.models import BridgeCannedResponse

    item = db.session.scalar(select(BridgeCannedResponse))
    assert client.get(f"/staff/bridge/canned/{item.id}").status_code == 200
    client.post(f"/staff/bridge/canned/{item.id}", data={"title": "Apology", "body": "We are sorry."})
    db.session.refresh(item)
    assert item.title == "Apology"
    client.post(f"/staff/bridge/canned/{item.id}/delete")
    assert db.session.scalar(select(BridgeCannedResponse)) is None
    assert [len(_audit(f"bridge.canned_{verb}")) for verb in ("create", "update", "delete")] == [1, 1, 1]
    assert client.get("/staff/bridge/canned/12345").status_code == 404
