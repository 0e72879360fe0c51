"""The bulk seeder: a small world on both backends, checked for counts and counter consistency."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from community.content.markdown import render_markdown
from community.errors import Conflict, ValidationFailed
from community.extensions import db
from community.models import AcceptedAnswer, Category, Post, Role, Thread, ThreadState, User
from community.seed.bulk import BENCH_PASSWORD, SeedSize, bulk_seed
from community.services.passwords import verify_password

SMALL = SeedSize(posts=2_000, threads=150, categories=6, users=80)


@pytest.fixture
def seeded(app, make_user):
    existing = make_user(role=Role.admin)  # seeding must start its ids after rows already there
    report = bulk_seed(db.engine, SMALL)
    db.session.expire_all()
    return report, existing


def _assert_counts(report):
    assert db.session.scalar(select(func.count()).select_from(Post)) == 2_000
    assert db.session.scalar(select(func.count()).select_from(Thread)) == 150
    assert db.session.scalar(select(func.count()).select_from(Category)) == 6
    assert db.session.scalar(select(func.count()).select_from(User)) == 81
    assert report.seconds > 0 and set(report.phases) == {"plan", "load", "analyze"}


def _assert_positions():
    per_thread = select(
        Post.thread_id, func.count().label("n"), func.min(Post.position).label("lo"),
        func.max(Post.position).label("hi"),
    ).group_by(Post.thread_id).subquery()
    broken = db.session.scalar(
        select(func.count()).select_from(per_thread).where((per_thread.c.lo != 1) | (per_thread.c.hi != per_thread.c.n))
    )
    assert broken == 0


def _assert_thread_counters():
    for thread in db.session.scalars(select(Thread)):
        posts = db.session.scalars(select(Post).where(Post.thread_id == thread.id).order_by(Post.position)).all()
        assert thread.reply_count == len(posts) - 1
        assert thread.last_post_id == posts[-1].id
        assert thread.last_activity_at == posts[-1].created_at
        assert thread.first_reply_at == (posts[1].created_at if len(posts) > 1 else None)
        assert posts[0].author_id == thread.author_id
        assert [p.created_at for p in posts] == sorted(p.created_at for p in posts)
        if len(posts) > 1:
            assert posts[1].author_id != thread.author_id
        assert (thread.solved_at is not None) == (thread.state.value == "solved")


def _assert_category_counters():
    for category in db.session.scalars(select(Category)):
        threads = db.session.scalar(select(func.count()).select_from(Thread).where(Thread.category_id == category.id))
        posts = db.session.scalar(
            select(func.count()).select_from(Post).join(Thread, Post.thread_id == Thread.id)
            .where(Thread.category_id == category.id)
        )
        assert (category.thread_count, category.post_count) == (threads, posts)
    assert {c.visibility.value for c in db.session.scalars(select(Category))} >= {"public"}


def _assert_special_threads(report):
    assert db.session.get(Thread, report.long_thread_id).reply_count == 999
    assert report.twenty_post_thread_ids
    for thread_id in report.twenty_post_thread_ids:
        assert db.session.get(Thread, thread_id).reply_count == 19
    busiest = db.session.scalar(select(Category).where(Category.slug == report.busiest_category_slug))
    assert busiest.thread_count == report.busiest_category_threads


def _assert_bodies_and_password(report, existing):
    for post in db.session.scalars(select(Post).order_by(Post.id).limit(25)):
        assert post.body_html == render_markdown(post.body_markdown)
        assert post.body_html.startswith("<p>")
    user = db.session.get(User, report.first_user_id)
    assert report.first_user_id == existing.id + 1
    assert verify_password(user.password_hash, BENCH_PASSWORD)
    assert user.email_verified


def test_seeds_a_consistent_world(seeded):
    # One seeding, many checks: seeding is the slow part, and every check reads the same world.
    report, existing = seeded
    _assert_counts(report)
    _assert_positions()
    _assert_thread_counters()
    _assert_category_counters()
    _assert_special_threads(report)
    _assert_bodies_and_password(report, existing)


def test_new_rows_get_fresh_ids_and_a_second_seed_is_refused(seeded, make_thread, make_post):
    thread = make_thread()
    reply = make_post(thread=thread)
    assert thread.id == 151
    assert reply.id == 2_000 + 2
    with pytest.raises(Conflict):
        bulk_seed(db.engine, SMALL)


@pytest.mark.backends("sqlite")
def test_impossible_sizes_name_the_field(app):
    with pytest.raises(ValidationFailed) as failure:
        bulk_seed(db.engine, SeedSize(posts=10, threads=20, categories=0, users=5))
    assert set(failure.value.fields) == {"posts", "categories"}


def test_every_solved_thread_has_its_accepted_answer(seeded):
    solved = set(db.session.scalars(select(Thread.id).where(Thread.state == ThreadState.solved)))
    accepted = db.session.execute(select(AcceptedAnswer.thread_id, AcceptedAnswer.post_id)).all()
    assert solved and {thread_id for thread_id, _post in accepted} == solved
    positions = set(db.session.scalars(select(Post.position).where(Post.id.in_([post for _thread, post in accepted]))))
    assert positions == {2}
