"""The metrics job: labels community posts once, and runs from run-scheduled."""
from __future__ import annotations

from sqlalchemy import func, select

from community.bridge.classify import LABELS
from community.extensions import db
from community.models import PostSentiment, Role, ThreadFacts


def test_community_posts_are_labelled_once(app, make_thread, make_post):
    thread = make_thread(body="This is terrible. Worst service ever, still broken after three calls. I want a refund!")
    make_post(thread=thread, body="Thanks, that fixed it. Great help!")
    from community.metrics import rollup as metrics_rollup

    assert metrics_rollup.classify_community_posts() == 2
    assert metrics_rollup.classify_community_posts() == 0
    labels = dict(db.session.execute(select(PostSentiment.post_id, PostSentiment.label)).all())
    assert set(labels.values()) <= set(LABELS) and len(labels) == 2
    assert labels[thread.last_post_id - 1] == "complaint"


def test_run_scheduled_refreshes_the_rollups(app, make_user, make_thread, make_post):
    thread = make_thread()
    make_post(thread=thread, author=make_user(role=Role.staff))
    result = app.test_cli_runner().invoke(args=["community", "run-scheduled"])
    assert "community.metrics.rollup:refresh" in result.output, result.output
    facts = db.session.get(ThreadFacts, thread.id)
    assert facts is not None and facts.staff_replies == 1
    assert db.session.scalar(select(func.count()).select_from(PostSentiment)) == 2
