"""Serving attachments: readable exactly when the post is (private threads, gated categories,
hidden and deleted posts, moved threads), on the local folder and on S3 (a short-lived signed URL
after the check), with Content-Disposition, nosniff, and only images inline."""
from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from community.extensions import db
from community.models import Attachment, Post, Visibility, utcnow

from .helpers import png, upload


@pytest.fixture(params=["local", "s3"])
def app_overrides(request):
    return request.getfixturevalue("s3_settings") if request.param == "s3" else {}


@pytest.fixture
def s3(app):
    return app.config["STORAGE_BACKEND"] == "s3"


def fetch(client, path: str, s3: bool):
    """What a browser ends with: (status, headers, body), following the S3 redirect for real."""
    response = client.get(path)
    if s3 and response.status_code == 302 and "X-Amz-Signature" in response.headers["Location"]:
        stored = httpx.get(response.headers["Location"])
        return stored.status_code, stored.headers, stored.content, response
    return response.status_code, response.headers, response.data, response


def post_with_files(client, auth, author, thread):
    auth.sign_in(author)
    image = upload(client, png((900, 300)), "screen.png").get_json()
    log = upload(client, b"boot ok\nERROR disk\n", "boot.log").get_json()
    response = client.post(f"/t/{thread.id}/reply", data={"body": f"See {image['markdown']} and {log['markdown']}"})
    assert response.status_code == 302
    return image, log


@pytest.fixture
def shared(client, auth, make_user, make_category, make_thread):
    author = make_user()
    thread = make_thread(category=make_category(), title="Printer offline")
    image, log = post_with_files(client, auth, author, thread)
    auth.sign_out()
    return author, thread, image, log


def test_the_thread_shows_the_image_inline_and_the_file_as_a_card(client, shared):
    _author, thread, image, log = shared
    page = client.get(f"/t/{thread.id}-{thread.slug}").get_data(as_text=True)
    assert f'<a class="attachment-image" href="/attachments/{image["id"]}/screen.png"' in page
    assert f'src="/attachments/{image["id"]}/thumbnail"' in page
    assert f'<a class="attachment-card" href="/attachments/{log["id"]}/boot.log"' in page
    assert "boot.log</span>" in page and "19 bytes, Log file" in page


def test_an_image_is_inline_and_a_file_a_download_both_nosniff(client, shared, s3):
    _author, _thread, image, log = shared
    status, headers, body, first = fetch(client, image["url"], s3)
    assert status == 200 and body.startswith(b"\x89PNG")
    assert headers["Content-Type"] == "image/png"
    assert headers["Content-Disposition"].startswith('inline; filename="screen.png"')
    status, headers, body, first = fetch(client, log["url"], s3)
    assert status == 200 and body == b"boot ok\nERROR disk\n"
    assert headers["Content-Disposition"].startswith('attachment; filename="boot.log"')
    assert headers["Content-Type"].startswith("text/plain")
    assert first.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in first.headers["Content-Security-Policy"]
    if not s3:
        assert headers["X-Content-Type-Options"] == "nosniff"


def test_s3_answers_with_a_short_lived_signed_url_after_the_check(app, client, shared, s3):
    if not s3:
        pytest.skip("the local folder is served by Flask itself")
    _author, _thread, image, _log = shared
    location = client.get(image["url"]).headers["Location"]
    assert parse_qs(urlsplit(location).query)["X-Amz-Expires"] == ["60"]
    assert httpx.get(location.split("?")[0]).status_code == 403  # never a public bucket


def test_the_thumbnail_is_served_too(client, shared, s3):
    _author, _thread, image, _log = shared
    status, headers, body, _first = fetch(client, f"/attachments/{image['id']}/thumbnail", s3)
    assert status == 200 and headers["Content-Type"] == "image/webp" and body[8:12] == b"WEBP"


def test_a_private_threads_files_are_404_to_others(client, auth, make_user, make_thread, s3):
    author, stranger, staff = make_user(), make_user(), make_user(role="staff")
    thread = make_thread(author=author, is_private=True)
    image, log = post_with_files(client, auth, author, thread)
    for viewer in (None, stranger):
        auth.sign_out() if viewer is None else auth.sign_in(viewer)
        for url in (image["url"], log["url"], f"/attachments/{image['id']}/thumbnail"):
            assert client.get(url).status_code == 404
    for viewer in (author, staff):
        auth.sign_in(viewer)
        assert fetch(client, log["url"], s3)[0] == 200


def test_hiding_deleting_and_moving_the_post_closes_its_files_at_once(client, auth, shared, make_user, make_category, s3):
    _author, thread, image, log = shared
    reader = make_user()
    auth.sign_in(reader)
    post = db.session.get(Post, db.session.get(Attachment, image["id"]).post_id)
    assert fetch(client, log["url"], s3)[0] == 200
    post.is_hidden = True
    db.session.commit()
    assert client.get(log["url"]).status_code == 404
    post.is_hidden, post.deleted_at = False, utcnow()
    db.session.commit()
    assert client.get(image["url"]).status_code == 404
    post.deleted_at = None
    thread.category = make_category(visibility=Visibility.staff)
    db.session.commit()
    assert client.get(image["url"]).status_code == 404
    auth.sign_in(make_user(role="staff"))
    assert fetch(client, image["url"], s3)[0] == 200


def test_an_unattached_upload_is_readable_by_its_uploader_only(client, auth, make_user, s3):
    owner = make_user()
    auth.sign_in(owner)
    sent = upload(client, b"draft\n", "draft.log").get_json()
    assert fetch(client, sent["url"], s3)[0] == 200
    auth.sign_in(make_user())
    assert client.get(sent["url"]).status_code == 404
    auth.sign_out()
    assert client.get(sent["url"]).status_code == 404


def test_a_missing_file_is_the_same_404(client, auth, make_user):
    auth.sign_in(make_user())
    assert client.get("/attachments/987654/x.png").status_code == 404


def test_staff_moving_the_thread_into_a_staff_room_closes_its_files_at_once(client, auth, shared, make_user, make_category, s3):
    _author, thread, image, log = shared
    reader, staff = make_user(), make_user(role="staff")
    auth.sign_in(reader)
    assert fetch(client, log["url"], s3)[0] == 200
    auth.sign_in(staff)
    room = make_category(visibility=Visibility.staff)
    moved = client.post(f"/mod/threads/{thread.id}/move", data={"category": room.id, "reason": "internal"})
    assert moved.status_code == 302
    auth.sign_in(reader)
    assert client.get(log["url"]).status_code == 404 and client.get(image["url"]).status_code == 404
