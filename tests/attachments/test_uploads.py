"""Uploading through POST /attachments: images re-encoded clean, other files checked from their
bytes, every bad input refused with a clear JSON message (never a 500), limits and quotas."""
from __future__ import annotations

import io
import json

import pytest
from PIL import Image
from sqlalchemy import select

from community.extensions import db
from community.models import Attachment, SiteSetting
from community.storage import storage

from .helpers import animated_gif, gzip_bytes, jpeg_with_gps, png, upload


@pytest.fixture
def member(make_user, auth):
    user = make_user()
    auth.sign_in(user)
    return user


def _stored(attachment_id: int, thumbnail: bool = False) -> bytes:
    row = db.session.get(Attachment, attachment_id)
    return storage().read(row.thumbnail_key if thumbnail else row.storage_key)


def _refusal(response, status: int) -> str:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.is_json
    return response.get_json()["error"]["message"]


def test_a_png_is_stored_re_encoded_with_a_thumbnail_and_markdown_to_insert(client, member):
    response = upload(client, png((1200, 600)), "screen shot.png")
    assert response.status_code == 201
    body = response.get_json()
    assert body["markdown"] == f"![screen shot.png](attachment:{body['id']})"
    assert body["is_image"] is True
    row = db.session.get(Attachment, body["id"])
    assert (row.uploader_id, row.post_id, row.width, row.height) == (member.id, None, 1200, 600)
    assert row.storage_key.startswith("attachments/") and "screen" not in row.storage_key
    thumb = Image.open(io.BytesIO(_stored(row.id, thumbnail=True)))
    assert thumb.format == "WEBP" and max(thumb.size) == 640
    assert len(row.sha256) == 64


def test_exif_and_gps_are_stripped_and_the_orientation_applied(client, member):
    body = upload(client, jpeg_with_gps((60, 30)), "photo.jpg").get_json()
    stored = Image.open(io.BytesIO(_stored(body["id"])))
    assert stored.format == "JPEG"
    assert stored.size == (30, 60)  # turned upright, as the camera said
    assert not stored.getexif() and "exif" not in stored.info
    assert b"SpyCam" not in _stored(body["id"])


def test_an_oversized_image_is_scaled_down(app, client, member):
    app.config["ATTACHMENT_IMAGE_MAX_SIDE"] = 500
    body = upload(client, png((2000, 1000)), "wide.png").get_json()
    assert Image.open(io.BytesIO(_stored(body["id"]))).size == (500, 250)


def test_an_animated_gif_within_the_frame_limit_stays_animated(client, member):
    body = upload(client, animated_gif(5), "spinner.gif").get_json()
    stored = Image.open(io.BytesIO(_stored(body["id"])))
    assert stored.format == "GIF" and stored.n_frames == 5


def test_an_animation_over_the_frame_limit_is_refused(app, client, member):
    app.config["ATTACHMENT_MAX_FRAMES"] = 10
    message = _refusal(upload(client, animated_gif(12), "long.gif"), 422)
    assert "12 frames; the limit is 10" in message


def test_a_log_file_is_kept_as_sent_and_typed_from_its_bytes(client, member):
    text = b"2026-12-07 ERROR disk full\n"
    body = upload(client, text, "server.log").get_json()
    assert body["is_image"] is False and body["markdown"] == f"[server.log](attachment:{body['id']})"
    assert _stored(body["id"]) == text
    assert db.session.get(Attachment, body["id"]).content_type == "text/plain; charset=utf-8"


def test_a_real_gzip_is_accepted(client, member):
    assert upload(client, gzip_bytes(), "logs.gz").status_code == 201


# --- bad input: one test each -------------------------------------------------------------------


def test_oversized_file_is_refused_with_413(app, client, member):
    app.config["ATTACHMENT_MAX_BYTES"] = 1000
    message = _refusal(upload(client, b"x" * 1001, "big.log"), 413)
    assert "larger than 1000 bytes" in message
    assert db.session.scalar(select(Attachment.id)) is None


def test_truncated_image_is_refused(client, member):
    whole = png((300, 300), (1, 2, 3)) + b""
    message = _refusal(upload(client, whole[: len(whole) // 2], "half.png"), 422)
    assert "damaged or incomplete" in message


def test_zero_byte_file_is_refused(client, member):
    assert "empty (0 bytes)" in _refusal(upload(client, b"", "nothing.png"), 400)


def test_polyglot_gif_html_is_stored_as_pixels_only(client, member):
    polyglot = animated_gif(1) + b"<html><script>alert(document.cookie)</script></html>"
    body = upload(client, polyglot, "funny.gif").get_json()
    stored = _stored(body["id"])
    assert b"<script" not in stored and Image.open(io.BytesIO(stored)).format == "GIF"
    served = client.get(body["url"])
    assert served.headers["Content-Type"] == "image/gif"
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert b"<script" not in served.data


def test_polyglot_named_html_is_refused(client, member):
    message = _refusal(upload(client, b"GIF89a<html><script>alert(1)</script>", "page.html"), 415)
    assert "could run as a page" in message


def test_decompression_bomb_is_refused(app, client, member):
    # 20,000 x 20,000 pixels of one colour: a few hundred KB of PNG, 1.6 GB once decoded.
    out = io.BytesIO()
    Image.new("1", (20_000, 20_000)).save(out, format="PNG")
    message = _refusal(upload(client, out.getvalue(), "bomb.png"), 422)
    assert "far more pixels" in message


def test_wrong_extension_is_refused(client, member):
    message = _refusal(upload(client, b"%PDF-1.4\n%binary\n", "notes.txt"), 415)
    assert "application/pdf, not text" in message


def test_a_non_image_named_png_is_refused(client, member):
    assert "not a PNG, JPEG, GIF, WebP or HEIC" in _refusal(upload(client, b"MZ\x90\x00 program", "cat.png"), 415)


def test_an_image_under_the_wrong_image_extension_is_renamed(client, member):
    body = upload(client, png(), "photo.jpg").get_json()
    assert body["name"] == "photo.png"


def test_svg_with_script_is_refused(client, member):
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    assert "SVG files can carry scripts" in _refusal(upload(client, svg, "logo.svg"), 415)


def test_a_disallowed_extension_lists_what_is_allowed(client, member):
    message = _refusal(upload(client, b"MZ", "setup.exe"), 415)
    assert "can't be attached" in message


@pytest.mark.parametrize("raw, expected", [
    ("../../etc/passwd.log", "passwd.log"),
    ("bad\x00na\x1bme\u202e.log", "bad na me .log"),
    ("a" * 500 + ".log", "a" * 146 + ".log"),
])
def test_file_names_are_cleaned(client, member, raw, expected):
    body = upload(client, b"line\n", raw).get_json()
    assert body["name"] == expected
    disposition = client.get(body["url"]).headers["Content-Disposition"]
    assert "/" not in disposition.split("filename*=")[0] and "\x00" not in disposition


# --- who may upload, limits and quotas ----------------------------------------------------------


def test_signed_out_uploads_get_a_json_401(client):
    assert "sign in again" in _refusal(upload(client, png(), "a.png"), 401)


def test_an_unconfirmed_account_may_not_upload(client, auth, make_user):
    auth.sign_in(make_user(email_verified=False))
    assert upload(client, png(), "a.png").status_code == 403


def test_the_daily_quota_is_per_member(app, client, member, auth, make_user):
    app.config["ATTACHMENT_DAILY_QUOTA_BYTES"] = 10
    assert upload(client, b"12345678\n", "a.log").status_code == 201
    message = _refusal(upload(client, b"12345678\n", "b.log"), 429)
    assert "daily limit is 10 bytes" in message
    auth.sign_in(make_user())
    assert upload(client, b"12345678\n", "c.log").status_code == 201


def test_the_site_total_pauses_uploads(app, client, member):
    app.config["ATTACHMENT_SITE_QUOTA_BYTES"] = 10
    assert "storage is full" in _refusal(upload(client, b"0123456789ab", "a.log"), 507)


def test_the_admins_extension_list_decides(client, member):
    db.session.add(SiteSetting(key="attachments", value={"extensions": ["pdf"]}))
    db.session.commit()
    assert upload(client, b"hello\n", "a.log").status_code == 415
    assert upload(client, b"%PDF-1.4\n%%EOF\n", "a.pdf").status_code == 201


def test_upload_needs_the_csrf_token(app, client, member):
    app.config["WTF_CSRF_ENABLED"] = True
    assert upload(client, png(), "a.png").status_code == 400
    assert db.session.scalar(select(Attachment.id)) is None


def test_clean_name_drops_windows_folders_too():
    from community.attachments.files import clean_name

    assert clean_name("C:\\Users\\me\\secret.log") == "secret.log"
    assert clean_name("...") == "file" and clean_name("") == "file"
