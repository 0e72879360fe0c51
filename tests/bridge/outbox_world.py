"""Shared arrangement for the outbox, invite, follow-up and crash tests: the app pointed at the fake
X as the brand @acmehelp (app token for reading, user token for posting), and helpers that put a
customer's post on the fake and ingest it through the real poll."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from community.extensions import db
from community.models import BridgeCase, BridgeOutbound
from community.bridge import ingest as bridge_ingest

from .conftest import BRAND_ID, CUSTOMER_ID, World

BRAND_HANDLE = "acmehelp"
BASE_URL = "https://community.example"
COMPLAINT = "@acmehelp your app lost my invoice again, this is terrible and I am furious"


def posting_config(world: World) -> dict:
    return {"X_API_BASE_URL": world.fake.url, "X_BEARER_TOKEN": world.app_token,
            "X_USER_ACCESS_TOKEN": world.tokens["access_token"], "X_BRAND_USER_ID": BRAND_ID,
            "X_BRAND_HANDLE": BRAND_HANDLE, "BASE_URL": BASE_URL}


@pytest.fixture
def posting(app, world) -> World:
    """The app as the brand on the fake X; returns the fake's world."""
    app.config.update(posting_config(world))
    return world


def customer(world: World, username: str) -> str:
    return world.fake.state.add_user(username, username.title()).id


def mention(world: World, text: str = COMPLAINT, author_id: str = CUSTOMER_ID, **post_options) -> BridgeCase:
    """Post `text` on the fake as `author_id`, poll, and return the case it landed in."""
    post = world.fake.state.add_post(author_id, text, **post_options)
    bridge_ingest.poll_once()
    return case_of(post.id)


def case_of(post_id: str) -> BridgeCase:
    from community.models import BridgePost

    case = db.session.scalar(select(BridgeCase).join(BridgePost, BridgePost.case_id == BridgeCase.id)
                             .where(BridgePost.post_id == post_id))
    assert case is not None, f"post {post_id} did not become a case"
    return case


def brand_posts(world: World) -> list:
    """What the brand has posted on the fake (replies included)."""
    return [post for post in world.fake.state.visible_posts() if post.author_id == BRAND_ID]


def outbound_rows() -> list[BridgeOutbound]:
    db.session.expire_all()
    return list(db.session.scalars(select(BridgeOutbound).order_by(BridgeOutbound.id)))
