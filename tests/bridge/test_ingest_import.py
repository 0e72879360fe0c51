"""`flask bridge import`: TWCS CSV and JSONL exports become cases, idempotently; deleted posts are purged."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from community.extensions import db
from community.models import BridgeCase, BridgePost
from community.bridge import ingest as bridge_ingest

from ..conftest import shared_data


@pytest.fixture
def app_overrides():
    return {"X_BRAND_HANDLE": "AskPayPal"}


def _count(model) -> int:
    return db.session.scalar(select(func.count(model.id)))


def test_twcs_sample_import_keeps_inbound_posts_once(app):
    sample = shared_data("tweets/twcs_sample.csv")
    result = app.test_cli_runner().invoke(args=["bridge", "import", str(sample)])
    assert result.exit_code == 0, result.output
    assert "import: fetched 5000, stored 2778, duplicates 0, dropped 2222" in result.output
    assert _count(BridgePost) == 2778
    # Brand replies (inbound False) never become posts or cases.
    assert db.session.scalar(select(func.count(BridgePost.id)).where(BridgePost.author_username == "sprintcare")) == 0
    # The raw carriage return inside tweet 3399 is a line break, not a broken record.
    cr_post = db.session.scalar(select(BridgePost).where(BridgePost.post_id == "3399"))
    assert cr_post.text.startswith("@AskPayPal \n") and cr_post.summoned is True
    # "3.0"-style parent ids are read as ids; tweet 2 answers brand tweet 1 in the conversation rooted at 5.
    reply = db.session.scalar(select(BridgePost).where(BridgePost.post_id == "2"))
    assert reply.in_reply_to_post_id == "1" and reply.conversation_id == reply.case.conversation_id
    assert reply.label and reply.case.classifier_version == reply.classifier_version

    again = app.test_cli_runner().invoke(args=["bridge", "import", str(sample)])
    assert "stored 0, duplicates 2778" in again.output
    assert _count(BridgePost) == 2778


@pytest.mark.backends("sqlite")
def test_jsonl_import_and_bad_files(app, tmp_path):
    good = tmp_path / "posts.jsonl"
    rows = [
        {"tweet_id": 10, "author_id": "222", "inbound": True, "created_at": "Tue Oct 31 22:10:47 +0000 2017",
         "text": "@AskPayPal my card was charged twice", "response_tweet_id": "11",
         "in_response_to_tweet_id": None},
        {"tweet_id": 11, "author_id": "AskPayPal", "inbound": False, "created_at": "Tue Oct 31 22:12:47 +0000 2017",
         "text": "@222 sorry, DM us", "response_tweet_id": "", "in_response_to_tweet_id": 10.0},
    ]
    good.write_text("\n".join(json.dumps(row) for row in rows) + "\n")
    counts = bridge_ingest.import_export(good)
    assert (counts.stored, counts.dropped) == (1, 1)
    case = db.session.scalar(select(BridgeCase))
    assert case.summoned and case.label == "complaint" and case.conversation_id == "10"

    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"tweet_id": 1}\nnot json\n')
    result = app.test_cli_runner().invoke(args=["bridge", "import", str(broken)])
    assert result.exit_code != 0 and "line 1 is not a TWCS post" in result.output
    not_twcs = tmp_path / "other.csv"
    not_twcs.write_text("a,b\n1,2\n")
    result = app.test_cli_runner().invoke(args=["bridge", "import", str(not_twcs)])
    assert result.exit_code != 0 and "not a TWCS export" in result.output


def test_deleted_posts_are_marked_then_purged(app, tmp_path):
    export = tmp_path / "posts.jsonl"
    rows = [{"tweet_id": n, "author_id": "3", "inbound": True, "created_at": "Tue Oct 31 22:10:47 +0000 2017",
             "text": f"post {n}", "response_tweet_id": "", "in_response_to_tweet_id": ""} for n in (1, 2)]
    export.write_text("\n".join(json.dumps(row) for row in rows))
    bridge_ingest.import_export(export)
    app.config["JOBS_RUN_IMMEDIATELY"] = True
    assert bridge_ingest.mark_deleted(["1", "404"]) == 1  # the purge job runs right after
    gone, kept = (db.session.scalar(select(BridgePost).where(BridgePost.post_id == pid)) for pid in ("1", "2"))
    db.session.refresh(gone)
    assert gone.text is None and gone.raw is None and gone.purged_at is not None and gone.deleted_at is not None
    assert kept.text == "post 2" and kept.raw is not None
    assert bridge_ingest.purge_deleted() == 0  # idempotent
