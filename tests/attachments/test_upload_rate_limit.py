"""Uploads are rate limited per member (RATELIMIT_ATTACHMENTS), with a JSON 429."""
import uuid

import pytest

from .helpers import upload

pytestmark = pytest.mark.backends("sqlite")


@pytest.fixture
def app_overrides():
    return {"RATELIMIT_ENABLED": True, "RATELIMIT_KEY_PREFIX": f"parley-test-{uuid.uuid4().hex}",
            "RATELIMIT_ATTACHMENTS": "2 per minute"}


def test_uploads_are_rate_limited_per_member(client, auth, make_user):
    auth.sign_in(make_user())
    statuses = [upload(client, b"x\n", f"{n}.log").status_code for n in range(3)]
    assert statuses == [201, 201, 429]
    auth.sign_in(make_user())
    assert upload(client, b"x\n", "other.log").status_code == 201
