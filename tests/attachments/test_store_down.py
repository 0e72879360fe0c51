"""S3 unreachable: an upload is a clear JSON 503 (the composer says it, the text stays), nothing
is recorded, and the page still renders."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from community.extensions import db
from community.models import Attachment

from ..conftest import free_port
from .helpers import png, upload

pytestmark = pytest.mark.backends("sqlite")


@pytest.fixture
def app_overrides():
    return {"STORAGE_BACKEND": "s3", "S3_ENDPOINT_URL": f"http://127.0.0.1:{free_port()}", "S3_BUCKET": "gone",
            "S3_ACCESS_KEY_ID": "test", "S3_SECRET_ACCESS_KEY": "test"}


def test_an_upload_to_a_dead_store_is_a_clear_503(client, auth, make_user, make_thread):
    auth.sign_in(make_user())
    response = upload(client, png(), "screen.png")
    assert response.status_code == 503
    assert "file store is not answering" in response.get_json()["error"]["message"]
    assert db.session.scalar(select(Attachment.id)) is None
    thread = make_thread()
    assert client.get(f"/t/{thread.id}-{thread.slug}").status_code == 200
