"""The demo community plus one row of everything the demo lacks, so every marked column has a row
to carry its marker: a widget, a webhook endpoint with a failed delivery, an API token, a canned
reply, a CSAT comment, a watched word, a logged search, a resolved flag, an edit, a suspension,
outbound X replies, an opt-out, a failed poll, a failed periodic task and an SLA breach."""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select

from community.extensions import db
from community.models import Category, Post, Role, Thread, User, utcnow
from community.models import (
    ApiToken, BridgeCannedResponse, BridgeCase, BridgeOptOut, BridgeOutbound, BridgePollLog, CsatSurvey,
    Flag, Notification, PostRevision, ScheduledRun, SearchEvent, SlaBreach, WatchedWord, WebhookDelivery,
    WebhookEndpoint, WebhookEvent, Widget, WidgetEventCount,
)
from community.seed.demo import seed_demo


@dataclass
class World:
    users: dict[str, User]          # by role name, plus "verified" and "suspended"
    thread: Thread                  # a public thread with replies
    widget: Widget
    endpoint: WebhookEndpoint
    breach: SlaBreach


def build() -> World:
    seed_demo()
    users = _users_by_role()
    thread = db.session.scalars(
        select(Thread).join(Category).where(Category.visibility == "public", Thread.reply_count > 0)
        .order_by(Thread.id)
    ).first()
    post = db.session.scalars(select(Post).where(Post.thread_id == thread.id).order_by(Post.position)).all()[-1]
    admin, member = users["admin"], users["customer"]
    widget = Widget(name="Help widget", kind="latest", tag="billing", allowed_origins="https://shop.example",
                    created_by_id=admin.id)
    endpoint = WebhookEndpoint(url="https://hooks.example/parley", secret="s" * 32, description="CRM",
                               events=["thread.created"], enabled=False, disabled_reason="Failed 20 times")
    event = WebhookEvent(event_id=str(uuid.uuid4()), type="thread.created", payload={"id": thread.id})
    db.session.add_all([widget, endpoint, event])
    db.session.flush()
    case = db.session.scalars(select(BridgeCase).order_by(BridgeCase.id)).first()
    breach = SlaBreach(thread_id=thread.id, category_id=thread.category_id, kind="first_response",
                       due_at=utcnow() - timedelta(hours=2), breached_at=utcnow() - timedelta(hours=1))
    db.session.add_all([
        breach,
        WebhookDelivery(endpoint_id=endpoint.id, event_id=event.id, state="failed", attempts=3,
                        response_status=500, response_excerpt="upstream said no", error="HTTP 500"),
        WidgetEventCount(widget_id=widget.id, origin="https://shop.example", day=date.today(), kind="view", count=3),
        ApiToken(user_id=admin.id, name="CRM sync", token_hash=uuid.uuid4().hex, prefix="pk_test"),
        BridgeCannedResponse(title="Outage reply", body="We are on it: {link}"),
        CsatSurvey(thread_id=thread.id, user_id=thread.author_id, score=4, comment="Quick and kind",
                   answered_at=utcnow()),
        WatchedWord(word="cheapvps"),
        SearchEvent(kind="search", query="reset password", result_count=0),
        Flag(post_id=post.id, user_id=member.id, reason="other", note="Looks like spam",
             resolution="Kept: fine", resolved_at=utcnow()),
        PostRevision(post_id=post.id, number=1, editor_id=post.author_id, old_title=thread.title,
                     new_title=thread.title, old_body="before", new_body=post.body_markdown, reason="typo"),
        BridgeOptOut(author_id="42", author_username="optedout", reason="asked to stop"),
        BridgePollLog(network="x", source="mentions", errors=1, error_message="429 Too Many Requests"),
        ScheduledRun(task="search.compact", slot=1, error="disk full"),
        Notification(user_id=member.id, kind="reply", thread_id=thread.id, post_id=post.id, actor_id=admin.id,
                     event_key=f"guard-{thread.id}"),
    ])
    if case is not None:
        db.session.add(BridgeOutbound(case_id=case.id, kind="reply", in_reply_to_post_id=case.conversation_id,
                                      conversation_id=case.conversation_id, author_id="1", text="Sorry! DM us",
                                      state="failed", last_error="duplicate content"))
    users["suspended"].suspended_until = utcnow() + timedelta(days=3)
    users["suspended"].suspension_reason = "Spam links"
    db.session.commit()
    return World(users=users, thread=thread, widget=widget, endpoint=endpoint, breach=breach)


ROLES = ("admin", "staff", "moderator", "marketer", "customer", "verified", "suspended")


def _users_by_role() -> dict[str, User]:
    people = db.session.scalars(select(User).order_by(User.id)).all()
    users: dict[str, User] = {}
    for user in people:
        key = user.role.value
        if user.role == Role.customer and user.is_verified_customer:
            key = "verified"
        users.setdefault(key, user)
    customers = [user for user in people if user.role == Role.customer and not user.is_verified_customer]
    users["suspended"] = customers[-1]
    return users
