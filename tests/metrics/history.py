"""A known history with fixed timestamps, shared by the exact-figures and page tests.

Business hours for these tests: 09:00-17:00, Monday to Friday, America/New_York (UTC-5 in January).
The range is 2026-01-05 .. 2026-01-18 and "now" is 2026-01-20 12:00 UTC.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone

from community.extensions import db
from community.models import (
    BridgeCase, BridgePost, CsatSurvey, DeflectionEvent, PostSentiment, Role, SearchEvent, SlaBreach, ThreadState,
    VerifiedAnswer, Widget, WidgetEventCount, WidgetKind,
)
from community.metrics import rollup as metrics_rollup
from tests import factories

BUSINESS = {"BUSINESS_TIMEZONE": "America/New_York", "BUSINESS_HOURS": "09:00-17:00", "BUSINESS_DAYS": "mon-fri"}
START, END = date(2026, 1, 5), date(2026, 1, 18)
NOW = datetime(2026, 1, 20, 12, 0, tzinfo=timezone.utc)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 1, day, hour, minute, tzinfo=timezone.utc)


@dataclass
class History:
    billing: object
    shipping: object
    s1: object
    s2: object
    admin: object
    c1: object
    c2: object
    threads: dict


def build() -> History:
    billing, shipping = factories.make_category(name="Billing"), factories.make_category(name="Shipping")
    s1 = factories.make_user(role=Role.staff, display_name="Ann Staff")
    s2 = factories.make_user(role=Role.staff, display_name="Bob Staff")
    admin = factories.make_user(role=Role.admin, display_name="Zed Admin")
    c1, c2 = factories.make_user(display_name="Cat"), factories.make_user(display_name="Dan")
    reply = factories.make_post

    # T1: Friday 16:00 New York, first (and only) staff reply Monday 10:00 New York; solved, verified.
    t1 = factories.make_thread(author=c1, category=billing, created_at=at(9, 21))
    p1 = reply(thread=t1, author=s1, created_at=at(12, 15))
    _facts(t1, first_reply_at=at(12, 15), first_staff_reply_at=at(12, 15), solved_at=at(12, 18),
           first_verified_at=at(12, 19), state=ThreadState.solved)
    db.session.add(VerifiedAnswer(thread_id=t1.id, post_id=p1.id, verified_by_id=s1.id, verified_at=at(12, 19)))
    # T2: Tuesday 09:00 NY; a customer replies after 30 min, two staff replies; solved next day.
    t2 = factories.make_thread(author=c2, category=billing, created_at=at(6, 14))
    reply(thread=t2, author=c1, created_at=at(6, 14, 30))
    reply(thread=t2, author=s2, created_at=at(6, 16))
    reply(thread=t2, author=s1, created_at=at(6, 17))
    _facts(t2, first_reply_at=at(6, 14, 30), first_staff_reply_at=at(6, 16), solved_at=at(7, 14), state=ThreadState.solved)
    # T3: nobody answered.
    t3 = factories.make_thread(author=c1, category=shipping, created_at=at(14, 12))
    # T4: Thursday 15:00 NY, Bob answers at 18:00 NY (after hours); assigned to Ann; came from X.
    t4 = factories.make_thread(author=c2, category=shipping, created_at=at(15, 20))
    reply(thread=t4, author=s2, created_at=at(15, 23))
    _facts(t4, first_reply_at=at(15, 23), first_staff_reply_at=at(15, 23), state=ThreadState.answered,
           assigned_to_id=s1.id)
    # T5: before the range.
    t5 = factories.make_thread(author=c1, category=billing, created_at=at(2, 10))
    reply(thread=t5, author=s1, created_at=at(2, 11))
    _facts(t5, first_reply_at=at(2, 11), first_staff_reply_at=at(2, 11), state=ThreadState.answered)

    db.session.add_all([
        CsatSurvey(thread_id=t1.id, user_id=c1.id, requested_at=at(12, 18), score=4, answered_at=at(12, 20)),
        CsatSurvey(thread_id=t2.id, user_id=c2.id, requested_at=at(7, 14), score=2, answered_at=at(7, 15)),
        SlaBreach(thread_id=t4.id, category_id=shipping.id, kind="first_response", due_at=at(15, 21),
                  breached_at=at(15, 21)),
    ])
    _events(t1, t2, t3, c1, c2)
    _bridge(t4)
    db.session.add_all([
        PostSentiment(post_id=t1.last_post_id, day=date(2026, 1, 12), label="praise"),
        PostSentiment(post_id=t3.last_post_id, day=date(2026, 1, 14), label="complaint"),
        PostSentiment(post_id=t2.last_post_id, day=date(2026, 1, 6), label="complaint"),
    ])
    db.session.commit()
    metrics_rollup.refresh_thread_facts()
    return History(billing, shipping, s1, s2, admin, c1, c2, {"t1": t1, "t2": t2, "t3": t3, "t4": t4, "t5": t5})


def _facts(thread, **values) -> None:
    for name, value in values.items():
        setattr(thread, name, value)
    db.session.commit()


def _events(t1, t2, t3, c1, c2) -> None:
    searches = [SearchEvent(kind="search", query="refund", created_at=at(d, 9)) for d in (6, 8, 13, 16)]
    clicks = [
        SearchEvent(kind="click", query="refund", thread_id=t1.id, user_id=c1.id, created_at=at(13, 10)),  # no thread in 24h
        SearchEvent(kind="click", query="refund", thread_id=t2.id, user_id=c2.id, created_at=at(15, 0)),  # T4 20 h later
        SearchEvent(kind="click", query="refund", thread_id=t1.id, user_id=None, created_at=at(16, 9)),
        SearchEvent(kind="click", query="refund", thread_id=t3.id, user_id=c2.id, created_at=at(16, 10)),  # unsolved
    ]
    compose = [
        *(DeflectionEvent(kind=k, compose_id="a", created_at=at(8, 10)) for k in ("shown", "opened", "abandoned")),
        *(DeflectionEvent(kind=k, compose_id="b", created_at=at(8, 11)) for k in ("shown", "opened", "posted")),
        DeflectionEvent(kind="shown", compose_id="c", created_at=at(8, 12)),
    ]
    widget = Widget(name="Solved", kind=WidgetKind.solved)
    db.session.add(widget)
    db.session.flush()
    counts = [
        WidgetEventCount(widget_id=widget.id, origin="https://shop.example", day=date(2026, 1, 7), kind="impression", count=10),
        WidgetEventCount(widget_id=widget.id, origin="https://shop.example", day=date(2026, 1, 7), kind="click", count=3),
        WidgetEventCount(widget_id=widget.id, origin="https://shop.example", day=date(2026, 1, 2), kind="click", count=5),
    ]
    db.session.add_all([*searches, *clicks, *compose, *counts])


def _bridge(t4) -> None:
    cases = [
        BridgeCase(conversation_id="1", author_id="u1", detected_at=at(10, 8), invited_at=at(10, 9),
                   landed_at=at(10, 10), joined_at=at(10, 11), thread_posted_at=at(15, 20), first_response_seconds=600,
                   linked_thread_id=t4.id),
        BridgeCase(conversation_id="2", author_id="u2", detected_at=at(11, 8), invited_at=at(11, 9),
                   first_response_seconds=1200),
        BridgeCase(conversation_id="3", author_id="u3", detected_at=at(17, 8)),
        BridgeCase(conversation_id="4", author_id="u4", detected_at=at(3, 8), invited_at=at(3, 9)),  # before range
    ]
    # Core insert: bridge post ids are X ids, not forum post ids, so no ORM flush hook should see them.
    columns = ("post_id", "author_id", "label", "posted_at")
    posts = [dict(zip(columns, values)) for values in (
        ("p1", "u1", "complaint", at(6, 8)), ("p2", "u2", "question", at(8, 8)), ("p3", "u3", "complaint", at(13, 8)),
    )]
    db.session.connection().execute(
        BridgePost.__table__.insert(), [{**p, "network": "x", "source": "mentions", "raw": {}} for p in posts]
    )
    db.session.add_all(cases)
