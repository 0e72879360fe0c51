"""Serving files from a separate cookieless origin (UPLOADS_HOST) and by nginx (ATTACHMENT_ACCEL_REDIRECT),
through the app: the main host checks, then redirects to the uploads host with a short-lived token;
the uploads host serves that one file and nothing else, never with a cookie; the settings that
cannot work are refused at start. tests/drills/test_attachment_serving.py runs both behind real nginx."""
from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from itsdangerous import TimestampSigner

from community import create_app
from community.attachments.serving import ServingSettingsError
from community.extensions import db
from community.models import Attachment

from ..conftest import base_settings
from .helpers import png, upload

FILES = "files.test"
PREFIX = "/_protected_uploads/"


@pytest.fixture
def app_overrides():
    return {"UPLOADS_HOST": FILES, "BASE_URL": "http://localhost"}


def on_files_host(client, location: str, **kwargs):
    """Follow a //files.test/... redirect the way a browser would, on the same test client."""
    parts = urlsplit(location)
    assert parts.netloc == FILES, location
    return client.get(f"{parts.path}?{parts.query}", base_url=f"http://{FILES}", **kwargs)


@pytest.fixture
def posted(client, auth, make_user, make_thread):
    """A screenshot and a log on a public thread; the author stays signed in."""
    author = make_user()
    thread = make_thread()
    auth.sign_in(author)
    image = upload(client, png((900, 300)), "screen shot.png").get_json()
    log = upload(client, b"boot ok\nERROR disk\n", "boot.log").get_json()
    assert client.post(f"/t/{thread.id}/reply", data={"body": f"{image['markdown']} {log['markdown']}"}).status_code == 302
    return image, log


def test_the_main_host_checks_then_redirects_to_the_uploads_host_with_a_short_lived_token(client, posted):
    image, log = posted
    answer = client.get(log["url"])
    assert answer.status_code == 302
    location = answer.headers["Location"]
    assert location.startswith(f"//{FILES}/attachments/{log['id']}/boot.log?token=")
    assert answer.headers["X-Content-Type-Options"] == "nosniff" and b"boot ok" not in answer.data
    thumb = client.get(f"/attachments/{image['id']}/thumbnail").headers["Location"]
    assert thumb.startswith(f"//{FILES}/attachments/{image['id']}/thumbnail?token=")


def test_the_uploads_host_serves_the_file_with_its_headers_and_never_a_cookie(client, posted):
    image, log = posted
    served = on_files_host(client, client.get(log["url"]).headers["Location"])
    assert served.status_code == 200 and served.data == b"boot ok\nERROR disk\n"
    assert served.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert served.headers["Content-Disposition"].startswith('attachment; filename="boot.log"')
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in served.headers["Content-Security-Policy"]
    assert served.headers["Cross-Origin-Resource-Policy"] == "cross-origin"  # the main host's pages show its images
    assert served.headers["Cache-Control"] == "private, no-cache"
    assert "Set-Cookie" not in served.headers and "Vary" not in served.headers
    picture = on_files_host(client, client.get(image["url"]).headers["Location"])
    assert picture.status_code == 200 and picture.data.startswith(b"\x89PNG")
    assert picture.headers["Content-Disposition"].startswith('inline; filename="screen shot.png"')
    thumb = on_files_host(client, client.get(f"/attachments/{image['id']}/thumbnail").headers["Location"])
    assert thumb.status_code == 200 and thumb.headers["Content-Type"] == "image/webp"


def test_a_tampered_expired_or_borrowed_token_is_refused(client, posted, monkeypatch):
    image, log = posted
    location = client.get(log["url"]).headers["Location"]
    path, token = urlsplit(location).path, parse_qs(urlsplit(location).query)["token"][0]
    files = {"base_url": f"http://{FILES}"}
    tampered = token[:-3] + ("AAA" if token[-3:] != "AAA" else "BBB")
    refused = client.get(f"{path}?token={tampered}", **files)
    assert refused.status_code == 403 and b"not valid" in refused.data and b"boot ok" not in refused.data
    assert client.get(path, **files).status_code == 403  # no token at all
    # The log's token on the image's path: a token opens the one file it was issued for.
    borrowed = client.get(f"/attachments/{image['id']}/screen%20shot.png?token={token}", **files)
    assert borrowed.status_code == 403 and b"another file" in borrowed.data
    # Issued two minutes ago, with ATTACHMENT_URL_SECONDS at 60.
    real_timestamp = TimestampSigner.get_timestamp
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: real_timestamp(self) - 120)
    old = client.get(log["url"]).headers["Location"]
    monkeypatch.setattr(TimestampSigner, "get_timestamp", real_timestamp)
    expired = on_files_host(client, old)
    assert expired.status_code == 403 and b"expired" in expired.data and "Set-Cookie" not in expired.headers


def test_the_main_host_still_refuses_unreadable_files(client, auth, make_user, make_thread):
    author = make_user()
    private = make_thread(author=author, is_private=True)
    auth.sign_in(author)
    secret = upload(client, b"private notes\n", "notes.log").get_json()
    assert client.post(f"/t/{private.id}/reply", data={"body": secret["markdown"]}).status_code == 302
    for viewer in (None, make_user()):
        auth.sign_out() if viewer is None else auth.sign_in(viewer)
        answer = client.get(secret["url"])
        assert answer.status_code == 404 and "Location" not in answer.headers


def test_the_uploads_host_serves_no_page_and_no_session(client, auth, posted, make_user, make_thread):
    files = {"base_url": f"http://{FILES}"}
    thread = make_thread()
    for path in ("/", "/sign-in", f"/t/{thread.id}", "/latest", "/healthz", "/api/v1/threads", "/brand.css"):
        answer = client.get(path, **files)
        assert answer.status_code == 404, path
        assert "Set-Cookie" not in answer.headers and b"this host only serves attachment files" in answer.data
    image, _log = posted
    assert client.post(f"/attachments/{image['id']}/thumbnail", **files).status_code == 405
    # A session cookie sent to the uploads host is not looked at: no token, no file, signed in or not.
    client.set_cookie("session", client.get_cookie("session").value, domain=FILES)
    assert client.get(f"/attachments/{image['id']}/thumbnail", **files).status_code == 403


def test_pages_allow_images_from_the_uploads_host(client, posted):
    policy = client.get("/latest").headers["Content-Security-Policy"]
    assert f"img-src 'self' data: {FILES};" in policy


def test_with_s3_the_signed_store_url_wins_over_the_uploads_host(database_url, tmp_path, s3_settings):
    app = create_app({**base_settings(database_url, tmp_path), **s3_settings, "UPLOADS_HOST": FILES})
    with app.app_context():
        from tests import factories

        user = factories.make_user()
        client = app.test_client()
        with client.session_transaction() as session:
            session["_user_id"] = user.get_id()
        sent = upload(client, b"on s3\n", "s3.log").get_json()
        location = client.get(sent["url"]).headers["Location"]
        assert "X-Amz-Signature" in location and FILES not in location
        assert httpx.get(location).content == b"on s3\n"
        # The uploads host still serves no page there, and no file without a token.
        assert client.get("/", base_url=f"http://{FILES}").status_code == 404
        assert client.get(f"/attachments/{sent['id']}/s3.log?token=x", base_url=f"http://{FILES}").status_code == 403
        assert FILES not in client.get("/latest").headers["Content-Security-Policy"]
        db.session.remove()
    app.extensions["community.engine"].dispose()


@pytest.mark.parametrize("overrides, says", [
    ({"UPLOADS_HOST": "localhost"}, "must differ from the host of BASE_URL"),
    ({"UPLOADS_HOST": "https://files.test/"}, "must be a host name"),
    ({"ATTACHMENT_ACCEL_REDIRECT": "_protected_uploads"}, "starts and ends with /"),
])
def test_serving_settings_that_cannot_work_are_refused_at_start(database_url, tmp_path, overrides, says):
    with pytest.raises(ServingSettingsError, match=says):
        create_app({**base_settings(database_url, tmp_path), "BASE_URL": "http://localhost", **overrides})


@pytest.mark.parametrize("app_overrides", [{"ATTACHMENT_ACCEL_REDIRECT": PREFIX}, {"ATTACHMENT_ACCEL_REDIRECT": PREFIX, "UPLOADS_HOST": FILES, "BASE_URL": "http://localhost"}])
def test_behind_nginx_flask_answers_with_x_accel_redirect_and_no_bytes(app, client, posted, app_overrides):
    _image, log = posted
    answer = client.get(log["url"])
    if "UPLOADS_HOST" in app_overrides:
        answer = on_files_host(client, answer.headers["Location"])
    key = db.session.get(Attachment, log["id"]).storage_key
    assert answer.status_code == 200 and answer.data == b""
    assert answer.headers["X-Accel-Redirect"] == f"{PREFIX}{key}"
    assert answer.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert answer.headers["Content-Disposition"].startswith('attachment; filename="boot.log"')
    assert answer.headers["X-Content-Type-Options"] == "nosniff" and "sandbox" in answer.headers["Content-Security-Policy"]


def test_uploaded_files_are_readable_by_the_group_for_nginx(app, client, posted):
    from community.storage import storage

    _image, log = posted
    path = storage().path_for(db.session.get(Attachment, log["id"]).storage_key)
    assert path.stat().st_mode & 0o777 == 0o640
