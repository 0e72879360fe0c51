"""/staff/inbox: needs-response and customer-replied lists, views, assignment (audited)."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from community.extensions import db
from community.models import AuditEntry, utcnow
from community.services import posts, threads

JSON = {"Accept": "application/json"}


@pytest.fixture
def inbox_world(make_user, make_category):
    category = make_category()
    asker, helper = make_user(), make_user()
    staff, other_staff = make_user(role="staff", display_name="Sam"), make_user(role="moderator", display_name="Mo")
    older = threads.create_thread(asker, category.id, "Older question", "Body")
    older.created_at = utcnow() - timedelta(days=3)
    newer = threads.create_thread(asker, category.id, "Newer question", "Body")
    posts.create_reply(asker, newer.id, "Anyone? (the asker's own bump)")
    answered = threads.create_thread(asker, category.id, "Helped by a member", "Body")
    posts.create_reply(helper, answered.id, "Try this")
    waiting = threads.create_thread(asker, category.id, "Customer came back", "Body")
    posts.create_reply(staff, waiting.id, "Please send logs")
    posts.create_reply(asker, waiting.id, "Here are the logs")
    db.session.commit()
    return type("W", (), dict(staff=staff, other_staff=other_staff, asker=asker, older=older, newer=newer,
                               answered=answered, waiting=waiting))


def _section(html: str, heading_id: str) -> str:
    start = html.index(f'id="{heading_id}"')
    end = html.find("</section>", start)
    return html[start:end]


def test_inbox_lists_what_waits_for_staff_oldest_first(client, auth, inbox_world):
    auth.sign_in(inbox_world.staff)
    html = client.get("/staff/inbox").text
    needs = _section(html, "needs-response-heading")
    assert needs.index("Older question") < needs.index("Newer question")
    assert "Helped by a member" not in needs and "Customer came back" not in needs
    assert "3d ago" in needs  # the age of the oldest
    replied = _section(html, "customer-replied-heading")
    assert "Customer came back" in replied and "Older question" not in replied and "Helped by a member" not in replied


@pytest.mark.parametrize("who, status", [("anonymous", 403), ("customer", 403), ("staff", 200), ("moderator", 200), ("admin", 200)])
def test_inbox_is_for_staff_only(client, auth, make_user, who, status):
    if who != "anonymous":
        auth.sign_in(make_user(role=who))
    assert client.get("/staff/inbox").status_code == status


def test_assign_filters_mine_and_unassigned_and_is_audited(client, auth, inbox_world):
    auth.sign_in(inbox_world.staff)
    response = client.post(f"/staff/inbox/assign/{inbox_world.older.id}", data={"assignee": inbox_world.staff.id, "view": "all"})
    assert response.status_code == 302
    as_json = client.post(f"/staff/inbox/assign/{inbox_world.newer.id}", data={"assignee": inbox_world.other_staff.id}, headers=JSON)
    assert as_json.json == {"thread_id": inbox_world.newer.id, "assigned_to_id": inbox_world.other_staff.id}
    mine = _section(client.get("/staff/inbox?view=mine").text, "needs-response-heading")
    assert "Older question" in mine and "Newer question" not in mine
    unassigned = client.get("/staff/inbox?view=unassigned").text
    assert "Older question" not in unassigned and "Newer question" not in unassigned and "Customer came back" in unassigned
    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "thread.assign").order_by(AuditEntry.id)).all()
    assert [(e.actor_id, e.target_id, e.after["assigned_to_id"]) for e in entries] == [
        (inbox_world.staff.id, inbox_world.older.id, inbox_world.staff.id),
        (inbox_world.staff.id, inbox_world.newer.id, inbox_world.other_staff.id),
    ]
    client.post(f"/staff/inbox/assign/{inbox_world.older.id}", data={"assignee": ""})
    assert inbox_world.older.assigned_to_id is None


@pytest.mark.parametrize("assignee, status", [("customer", 422), ("999999", 422), ("abc", 422)])
def test_assigning_to_a_non_staff_member_is_refused(client, auth, inbox_world, assignee, status):
    auth.sign_in(inbox_world.staff)
    value = inbox_world.asker.id if assignee == "customer" else assignee
    response = client.post(f"/staff/inbox/assign/{inbox_world.older.id}", data={"assignee": value}, headers=JSON)
    assert response.status_code == status
    assert inbox_world.older.assigned_to_id is None


def test_customers_cannot_assign(client, auth, inbox_world):
    auth.sign_in(inbox_world.asker)
    response = client.post(f"/staff/inbox/assign/{inbox_world.older.id}", data={"assignee": inbox_world.staff.id})
    assert response.status_code == 403 and inbox_world.older.assigned_to_id is None
