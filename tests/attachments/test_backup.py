"""Attachments are in `flask community backup` / `restore` (the uploads folder holds them)."""
from __future__ import annotations

import pytest

from community.extensions import db
from community.models import Attachment
from community.storage import storage

from .helpers import png, upload

pytestmark = pytest.mark.backends("sqlite")


def run(app, *args):
    return app.test_cli_runner().invoke(args=["community", *args])


def test_backup_and_restore_bring_back_attachments_and_their_thumbnails(app, client, auth, make_user, make_thread, tmp_path):
    author, thread = make_user(), make_thread()
    auth.sign_in(author)
    image = upload(client, png(), "screen.png").get_json()
    client.post(f"/t/{thread.id}/reply", data={"body": image["markdown"]})
    row = db.session.get(Attachment, image["id"])
    keys, before = (row.storage_key, row.thumbnail_key), client.get(image["url"]).data
    archive = tmp_path / "site.tar.gz"
    assert run(app, "backup", str(archive)).exit_code == 0
    for key in keys:
        storage().delete(key)
    assert client.get(image["url"]).status_code == 404
    restored = run(app, "restore", str(archive), "--force")
    assert restored.exit_code == 0, restored.output
    db.session.remove()
    auth.sign_in(author)
    assert client.get(image["url"]).data == before
    assert all(storage().read(key) for key in keys)
