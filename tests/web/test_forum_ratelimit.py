"""Posting is rate limited per user (RATELIMIT_POSTING), on new threads and replies together."""
import pytest
from sqlalchemy import func, select

from community.extensions import db, limiter
from community.models import Post

pytestmark = pytest.mark.backends("sqlite")


@pytest.fixture
def app_overrides():
    return {"RATELIMIT_ENABLED": True, "RATELIMIT_POSTING": "3 per minute", "REDIS_URL": None}


@pytest.fixture(autouse=True)
def fresh_limits(app):
    limiter.reset()
    yield
    limiter.reset()


def test_threads_and_replies_share_one_per_user_limit(client, auth, make_user, make_category, make_thread):
    category = make_category()
    thread = make_thread(category=category)
    first, second = make_user(), make_user()
    auth.sign_in(first)
    statuses = [
        client.post(f"/c/{category.slug}/new", data={"title": "One", "body": "b"}).status_code,
        client.post(f"/t/{thread.id}/reply", data={"body": "two"}).status_code,
        client.post(f"/t/{thread.id}/reply", data={"body": "three"}).status_code,
        client.post(f"/t/{thread.id}/reply", data={"body": "four"}).status_code,
    ]
    assert statuses == [302, 302, 302, 429]
    # Previews, reading and other users are not held back.
    assert client.post(f"/t/{thread.id}/reply", data={"body": "p", "preview": "1"}).status_code == 200
    assert client.get(f"/t/{thread.id}-{thread.slug}").status_code == 200
    auth.sign_in(second)
    assert client.post(f"/t/{thread.id}/reply", data={"body": "other user"}).status_code == 302
    assert db.session.scalar(select(func.count()).select_from(Post)) == 5

