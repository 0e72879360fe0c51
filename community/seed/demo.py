"""The demo community `make run` shows: Acme Cloud's brand, people, categories and threads.

Passwords are generated at seed time and handed back once so the CLI can print them; only their
argon2 hashes are stored.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy import select

from ..content.markdown import render_markdown
from ..errors import Conflict
from ..extensions import db
from ..models import Category, Post, Role, Tag, Thread, ThreadState, User, Visibility, utcnow
from ..services import answers, moderation
from . import demo_content
from ..metrics import rollup as metrics_rollup
from ..services import threads as thread_service
from ..services.branding import save_branding
from .bridge_demo import seed_bridge_demo
from ..tags import watching
from ..services.categories import recount_categories, recount_threads, slugify
from ..services.passwords import hash_password


@dataclass(frozen=True)
class DemoAccount:
    role: str
    display_name: str
    email: str
    password: str
    verified_customer: bool


def seed_demo(if_empty: bool = False) -> list[DemoAccount] | None:
    """Seed an empty database and return the accounts made; None when skipped under `if_empty`."""
    if db.session.scalar(select(User.id).limit(1)) is not None:
        if if_empty:
            return None
        raise Conflict("The database already has users; the demo seed only fills an empty community.")
    if if_empty and not current_app.config.get("SEED_DEMO", True):
        return None
    people, accounts = _people()
    categories = _categories()
    tags: dict[str, Tag] = {}
    threads = [_thread(spec, index, people, categories, tags) for index, spec in enumerate(demo_content.THREADS)]
    db.session.flush()
    recount_threads({thread.id for thread in threads})
    recount_categories({category.id for category in categories.values()})
    # Commits the whole seed in one transaction together with the brand.
    save_branding(demo_content.BRANDING)
    seed_bridge_demo()
    _watches(people)  # before the activity below, whose new threads then reach the watchers
    _staff_activity(people, categories)
    # The dashboard reads rollups that run-scheduled refreshes; a new demo should not open blank.
    metrics_rollup.refresh()
    return accounts


def _staff_activity(people: dict[str, User], categories: dict[str, Category]) -> None:
    """What the answers/moderation features show: verified and accepted answers, inbox threads, a private
    thread and flagged posts. Done through the real services (each commits) so counters, states,
    timestamps and audit rows come out as they would from the web."""
    by_title = {thread.title: thread for thread in db.session.scalars(select(Thread))}

    def reply_by(title: str, author: str) -> tuple[Thread, Post]:
        thread = by_title[title]
        post = db.session.scalar(
            select(Post).where(Post.thread_id == thread.id, Post.author_id == people[author].id, Post.position > 1)
            .order_by(Post.position)
        )
        return thread, post

    for title, author in demo_content.VERIFIED:
        thread, post = reply_by(title, author)
        answers.verify_answer(people["priya"], thread.id, post.id)
    for title, author in demo_content.ACCEPTED:
        thread, post = reply_by(title, author)
        answers.accept_answer(thread.author, thread.id, post.id)
    for spec in demo_content.UNANSWERED:
        thread_service.create_thread(people[spec["author"]], categories[spec["category"]].id, spec["title"], spec["body"])
    spec = demo_content.PRIVATE
    private = thread_service.create_thread(
        people[spec["author"]], categories[spec["category"]].id, spec["title"], spec["body"], is_private=True,
    )
    staff, body = spec["answer"]
    answers.post_official_answer(people[staff], private.id, body)
    # Stay below the auto-hide threshold so the posts wait, visible, for a moderator's decision.
    threshold = int(current_app.config["FLAGS_TO_AUTO_HIDE"])
    for title, author, flags in demo_content.FLAGGED:
        _, post = reply_by(title, author)
        allowed = len(flags) if threshold <= 0 else min(len(flags), threshold - 1)
        for flagger, reason, note in flags[:allowed]:
            moderation.flag_post(people[flagger], post.id, reason, note)


def _watches(people: dict[str, User]) -> None:
    """What the welcome thread promises ("open a category and choose Watching"): members who did."""
    for key, kind, target, level in demo_content.WATCHES:
        setter = watching.set_category_level if kind == "category" else watching.set_tag_level
        setter(people[key], target, level)


def _people() -> tuple[dict[str, User], list[DemoAccount]]:
    people, accounts = {}, []
    joined = utcnow() - timedelta(days=60)
    for key, (name, username, email, role, verified_customer) in demo_content.PEOPLE.items():
        password = secrets.token_urlsafe(12)
        people[key] = User(
            email=email, email_normalized=email.lower(), username=username, display_name=name,
            password_hash=hash_password(password), role=Role(role), is_verified_customer=verified_customer,
            email_verified_at=joined, created_at=joined,
        )
        accounts.append(DemoAccount(role, name, email, password, verified_customer))
    db.session.add_all(people.values())
    return people, accounts


def _categories() -> dict[str, Category]:
    categories = {
        slug: Category(name=name, slug=slug, visibility=Visibility(visibility), description=description, position=n)
        for n, (slug, (name, visibility, description)) in enumerate(demo_content.CATEGORIES.items(), start=1)
    }
    db.session.add_all(categories.values())
    return categories


def _thread(spec: dict, index: int, people: dict[str, User], categories: dict[str, Category], tags: dict) -> Thread:
    # Spread the conversations over the past weeks, replies a few hours apart, nothing in the future.
    now = utcnow()
    started = now - timedelta(days=spec["age"], hours=index % 7 + 2)
    thread = Thread(
        category=categories[spec["category"]], author=people[spec["author"]], title=spec["title"],
        slug=slugify(spec["title"]), created_at=started, last_activity_at=started,
        # A thread is solved only by an answer mark (ACCEPTED, VERIFIED), made later through the services.
        state=ThreadState.answered if spec["replies"] else ThreadState.open, is_pinned=spec.get("pinned", False),
        # The demo's tags are the staff-defined list members pick from.
        tags=[tags.setdefault(name, Tag(name=name, is_official=True)) for name in spec["tags"]],
    )
    posts = [(spec["author"], spec["body"])] + list(spec["replies"])
    for position, (author, body) in enumerate(posts, start=1):
        created = min(started + timedelta(hours=5 * (position - 1), minutes=7 * position), now - timedelta(minutes=5))
        db.session.add(Post(
            thread=thread, author=people[author], position=position, body_markdown=body,
            body_html=render_markdown(body), created_at=created,
        ))
    db.session.add(thread)
    return thread
