"""Which happenings become webhook events, once each, and what their payloads may reveal."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from community.extensions import db
from community.models import Post, Role, utcnow
from community.services import answers, posts, threads
from community.bridge import ingest as bridge_ingest
from community.webhooks import delivery as webhooks


def _by_type(sender, event_type: str) -> list[dict]:
    return [item["payload"] for item in sender.sent if item["payload"]["type"] == event_type]


def test_thread_reply_verify_solve_reach_webhooks_once(app, make_endpoint, sender, make_user, make_category):
    make_endpoint()
    asker, staff = make_user(), make_user(role=Role.staff)
    category = make_category()
    thread = threads.create_thread(asker, category.id, "Printer jams on page two", "It jams every time.")
    reply = posts.create_reply(staff, thread.id, "Open tray B and remove the roller clip.")
    answers.verify_answer(staff, thread.id, reply.id)
    answers.accept_answer(asker, thread.id, reply.id)  # already solved: no second thread.solved
    assert sender.types() == ["thread.created", "post.created", "answer.verified", "thread.solved"]
    created = _by_type(sender, "thread.created")[0]["data"]
    assert created["thread"]["title"] == "Printer jams on page two"
    assert created["thread"]["public"] is True
    assert created["post"]["excerpt"] == "It jams every time."
    assert _by_type(sender, "post.created")[0]["data"]["post"]["id"] == reply.id
    solved = _by_type(sender, "thread.solved")[0]["data"]
    assert solved["thread"]["state"] == "solved" and solved["thread"]["solved_at"]


def test_job_running_twice_emits_once(app, make_endpoint, sender, make_user, make_category):
    make_endpoint()
    thread = threads.create_thread(make_user(), make_category().id, "Twice", "Body text here.")
    opening_id = db.session.scalar(select(Post.id).where(Post.thread_id == thread.id, Post.position == 1))
    webhooks.on_forum_event("post_created", thread.id, opening_id)  # the job, run again
    assert sender.types() == ["thread.created"]


def test_gated_and_private_content_sends_ids_and_links_only(app, make_endpoint, sender, make_user, make_category):
    make_endpoint()
    member = make_user()
    members_only = make_category(visibility="members")
    gated = threads.create_thread(member, members_only.id, "Secret roadmap question", "Confidential body")
    private = threads.create_thread(member, make_category().id, "My invoice 4411", "Account number 123", is_private=True)
    for payload in _by_type(sender, "thread.created"):
        data = payload["data"]
        assert data["thread"]["public"] is False and data["post"]["public"] is False
        assert set(data["thread"]) == {"id", "url", "public"}
        assert set(data["post"]) == {"id", "thread_id", "url", "public"}
    text = str(sender.sent)
    assert "Secret roadmap" not in text and "Confidential" not in text and "4411" not in text
    assert {p["data"]["thread"]["id"] for p in _by_type(sender, "thread.created")} == {gated.id, private.id}


def test_subscription_filters_event_types(app, make_endpoint, sender, make_user, make_category):
    endpoint = make_endpoint(events=["post.created"])
    thread = threads.create_thread(make_user(), make_category().id, "Only replies please", "Opening body")
    posts.create_reply(make_user(), thread.id, "A reply body")
    assert sender.types() == ["post.created"]
    assert {item["url"] for item in sender.sent} == {endpoint.url}


def test_bridge_case_created_is_emitted_per_new_case(app, make_endpoint, sender):
    make_endpoint(events=["bridge.case_created"])
    brand = bridge_ingest.Brand("999", "acmehelp")
    now = utcnow()

    def incoming(n: int, author: str, conversation: str):
        return bridge_ingest.Incoming(
            post_id=str(1000 + n), author_id=author, text=f"@acmehelp my order {n} never arrived, refund please",
            posted_at=now + timedelta(seconds=n), author_username=f"cust{author}", conversation_id=conversation,
            mentions_brand=True,
        )

    bridge_ingest.store_posts([incoming(1, "11", "c1"), incoming(2, "11", "c1"), incoming(3, "12", "c2")], "mentions", brand)
    bridge_ingest.store_posts([incoming(4, "11", "c1")], "mentions", brand)  # same case: nothing new
    cases = [p["data"]["case"] for p in _by_type(sender, "bridge.case_created")]
    assert sorted(case["author_username"] for case in cases) == ["cust11", "cust12"]
    assert "never arrived" not in str(sender.sent)


def test_a_thread_started_through_the_web_is_delivered_after_the_response(app, client, auth, make_endpoint, sender, make_user, make_category):
    app.config["JOBS_RUN_IMMEDIATELY"] = False  # the real request path: jobs run once the response is out
    make_endpoint(events=["thread.created"])
    category = make_category()
    auth.sign_in(make_user())
    response = client.post("/new", data={"category": str(category.id), "title": "Sync stops at midnight", "body": "Every night."})
    assert response.status_code == 302
    assert sender.sent == []  # nothing sent while the request was being answered
    response.close()  # what a WSGI server does once the last byte is out
    assert sender.types() == ["thread.created"]
    assert sender.sent[0]["payload"]["data"]["thread"]["title"] == "Sync stops at midnight"


def test_sla_breach_of_a_private_thread_names_no_title(app, make_endpoint, sender, make_user, make_category, make_thread):
    from community.models import SlaTarget
    from community.metrics import sla

    make_endpoint(events=["sla.breached"])
    category = make_category()
    db.session.add(SlaTarget(category_id=category.id, first_response_minutes=60, resolution_minutes=120))
    db.session.commit()
    late = utcnow() - timedelta(minutes=90)
    public = make_thread(category=category, title="Public and late", created_at=late)
    private = make_thread(category=category, title="Private invoice 4411", is_private=True, created_at=late)
    sla.check_breaches()
    by_thread = {p["data"]["thread_id"]: p["data"] for p in _by_type(sender, "sla.breached")}
    assert by_thread[public.id]["thread"]["title"] == "Public and late"
    assert by_thread[private.id]["thread"] == {"id": private.id, "url": f"http://127.0.0.1:5000/t/{private.id}", "public": False}
    assert "4411" not in str(sender.sent)
