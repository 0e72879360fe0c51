"""Factories that insert rows directly, for arranging a test's world quickly.

They commit, so a live server in another thread sees the rows. The behaviour under test should go
through services and views; these only set the stage.
"""
from __future__ import annotations

import itertools
from datetime import datetime

from sqlalchemy import func, select

from community.content.markdown import render_markdown
from community.extensions import db
from community.models import Category, Post, Role, Thread, User, Visibility, utcnow
from community.services.passwords import hash_password

_counter = itertools.count(1)
DEFAULT_PASSWORD = "correct horse battery staple"


def make_user(
    *,
    role: Role | str = Role.customer,
    email: str | None = None,
    display_name: str | None = None,
    username: str | None = None,
    password: str = DEFAULT_PASSWORD,
    email_verified: bool = True,
    verified_customer: bool = False,
) -> User:
    n = next(_counter)
    user = User(
        email=email or f"user{n}@example.com",
        email_normalized=(email or f"user{n}@example.com").lower(),
        username=username or f"user{n}",
        display_name=display_name or f"User {n}",
        password_hash=hash_password(password),
        role=Role(role),
        email_verified_at=utcnow() if email_verified else None,
        is_verified_customer=verified_customer,
    )
    db.session.add(user)
    db.session.commit()
    return user


def make_category(
    *, name: str | None = None, visibility: Visibility | str = Visibility.public, position: int = 0,
    description: str = "",
) -> Category:
    n = next(_counter)
    name = name or f"Category {n}"
    category = Category(
        name=name, slug=f"{name.lower().replace(' ', '-')}-{n}", visibility=Visibility(visibility),
        position=position, description=description,
    )
    db.session.add(category)
    db.session.commit()
    return category


def make_thread(
    *,
    author: User | None = None,
    category: Category | None = None,
    title: str | None = None,
    body: str = "Body of the opening post.",
    is_private: bool = False,
    created_at: datetime | None = None,
) -> Thread:
    author = author or make_user()
    category = category or make_category()
    n = next(_counter)
    title = title or f"Thread number {n}"
    created = created_at or utcnow()
    thread = Thread(
        category_id=category.id, author_id=author.id, title=title, slug=_slug(title),
        is_private=is_private, created_at=created, last_activity_at=created,
    )
    db.session.add(thread)
    db.session.flush()
    opening = Post(
        thread_id=thread.id, author_id=author.id, position=1, body_markdown=body,
        body_html=render_markdown(body), created_at=created,
    )
    db.session.add(opening)
    category.thread_count += 1
    category.post_count += 1
    db.session.flush()
    thread.last_post_id = opening.id
    db.session.commit()
    return thread


def make_post(*, thread: Thread, author: User | None = None, body: str = "A reply.", created_at=None) -> Post:
    author = author or make_user()
    position = (db.session.scalar(select(func.max(Post.position)).where(Post.thread_id == thread.id)) or 0) + 1
    created = created_at or utcnow()
    post = Post(
        thread_id=thread.id, author_id=author.id, position=position, body_markdown=body,
        body_html=render_markdown(body), created_at=created,
    )
    db.session.add(post)
    db.session.flush()
    thread.reply_count += 1
    thread.last_activity_at = created
    thread.last_post_id = post.id
    db.session.commit()
    return post


def _slug(title: str) -> str:
    import re

    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:80] or "thread"
