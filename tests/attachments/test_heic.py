"""HEIC photos (pillow-heif): decoded, turned upright, stripped of EXIF and GPS, stored as JPEG
(WebP when transparent) and served inline like any image; damaged ones and, without pillow-heif,
all of them refused with a message that says so, never a 500."""
from __future__ import annotations

import importlib
import io
import sys

import pytest
from PIL import Image
from sqlalchemy import select

from community.attachments import images
from community.extensions import db
from community.models import Attachment
from community.storage import storage

from .helpers import heic_with_gps, png, upload
from .test_serving import app_overrides, fetch, s3  # noqa: F401 (fixtures: both stores)


@pytest.fixture
def member(make_user, auth):
    user = make_user()
    auth.sign_in(user)
    return user


@pytest.fixture
def without_pillow_heif(monkeypatch):
    """The image adapter imported on a server where `import pillow_heif` fails."""
    monkeypatch.setitem(sys.modules, "pillow_heif", None)  # None in sys.modules: ImportError
    importlib.reload(images)
    assert images.HEIF_SUPPORTED is False and "HEIF" not in images.FORMATS
    yield
    monkeypatch.undo()
    importlib.reload(images)
    assert images.HEIF_SUPPORTED is True


def _row(body) -> Attachment:
    return db.session.get(Attachment, body["id"])


def _refusal(response, status: int) -> str:
    assert response.status_code == status, response.get_data(as_text=True)
    return response.get_json()["error"]["message"]


def test_a_heic_photo_is_stored_upright_as_a_jpeg_without_exif_or_gps(client, member):
    sent = heic_with_gps((60, 30), orientation=6)
    body = upload(client, sent, "IMG_0042.HEIC").get_json()
    assert body["is_image"] is True and body["name"] == "IMG_0042.jpg"
    assert body["type_label"] == "JPEG image"
    row = _row(body)
    assert row.content_type == "image/jpeg" and row.storage_key.endswith(".jpg")
    assert (row.width, row.height) == (30, 60)
    stored_bytes = storage().read(row.storage_key)
    stored = Image.open(io.BytesIO(stored_bytes))
    assert stored.format == "JPEG" and stored.size == (30, 60)  # turned upright
    # The blue corner was top left; a quarter turn clockwise puts it top right.
    red, green, blue = stored.getpixel((stored.width - 3, 2))
    assert blue > 200 and red < 60, stored.getpixel((stored.width - 3, 2))
    assert not stored.getexif() and "exif" not in stored.info
    assert b"SpyCam" not in stored_bytes and b"Exif" not in stored_bytes
    thumbnail = Image.open(io.BytesIO(storage().read(row.thumbnail_key)))
    assert thumbnail.format == "WEBP" and thumbnail.size == (30, 60)


def test_a_posted_heic_photo_is_served_inline_as_an_image(client, auth, member, make_user, make_thread, s3):
    thread = make_thread()
    body = upload(client, heic_with_gps(), "beach.heic").get_json()
    assert client.post(f"/t/{thread.id}/reply", data={"body": f"Here {body['markdown']}"}).status_code == 302
    auth.sign_in(make_user())  # another member reading the thread
    status, headers, data, first = fetch(client, body["url"], s3)
    assert status == 200 and data.startswith(b"\xff\xd8\xff")
    assert headers["Content-Type"] == "image/jpeg"
    assert headers["Content-Disposition"].startswith('inline; filename="beach.jpg"')
    assert first.headers["X-Content-Type-Options"] == "nosniff"
    page = client.get(f"/t/{thread.id}-{thread.slug}").get_data(as_text=True)
    assert f'src="/attachments/{body["id"]}/thumbnail"' in page


def test_a_transparent_heic_is_stored_as_webp_keeping_its_alpha(client, member):
    body = upload(client, heic_with_gps(mode="RGBA"), "sticker.heic").get_json()
    assert body["name"] == "sticker.webp"
    stored = Image.open(io.BytesIO(storage().read(_row(body).storage_key)))
    assert stored.format == "WEBP" and stored.mode == "RGBA"
    assert stored.getpixel((15, 40))[3] < 200  # the half-transparent red stayed half transparent


@pytest.mark.parametrize("cut", ["header", "half", "last bytes"])
def test_a_truncated_heic_is_refused_as_damaged(client, member, cut):
    whole = heic_with_gps((256, 256))
    kept = {"header": 40, "half": len(whole) // 2, "last bytes": len(whole) - 200}[cut]
    message = _refusal(upload(client, whole[:kept], "cut.heic"), 422)
    assert message == f"cut.heic: {images.DAMAGED}"
    assert db.session.scalar(select(Attachment.id)) is None


def test_a_heic_whose_picture_data_is_garbled_is_refused_as_damaged(client, member):
    whole = bytearray(heic_with_gps((256, 256)))
    start = whole.find(b"mdat") + 8
    whole[start:] = bytes(len(whole) - start)  # the boxes are intact, the picture is zeros
    message = _refusal(upload(client, bytes(whole), "zeros.heic"), 422)
    assert "damaged or incomplete" in message


def test_without_pillow_heif_a_heic_is_refused_by_name(client, member, without_pillow_heif):
    message = _refusal(upload(client, heic_with_gps(), "IMG_0042.HEIC"), 415)
    assert message == f"IMG_0042.HEIC: {images.HEIF_MISSING}"
    assert "Export the photo as a JPEG" in message
    assert db.session.scalar(select(Attachment.id)) is None
    assert upload(client, png(), "still works.png").status_code == 201  # the other images are unaffected


def test_a_file_named_heic_that_is_not_one_is_refused(client, member):
    message = _refusal(upload(client, b"MZ\x90\x00 program", "photo.heic"), 415)
    assert "not a PNG, JPEG, GIF, WebP or HEIC image" in message
