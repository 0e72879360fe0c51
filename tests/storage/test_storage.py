"""Uploads through the storage interface: the local folder and a real S3-compatible server (moto,
started on 127.0.0.1 by these tests), and avatars and the brand logo served from either."""
from __future__ import annotations

import io
from pathlib import Path

import boto3
import pytest
from PIL import Image

from community.extensions import db
from community.models import User
from community.services.branding import get_branding
from community.storage import StorageError, build_storage, storage
from community.storage.local import LocalStorage

from ..conftest import free_port

BUCKET = "parley-uploads"
KEYS = {"S3_ACCESS_KEY_ID": "test", "S3_SECRET_ACCESS_KEY": "test", "S3_REGION": "us-east-1"}


@pytest.fixture(scope="module")
def s3_endpoint():
    """A real S3-compatible HTTP server on 127.0.0.1 (moto's server mode)."""
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def s3_settings(s3_endpoint):
    client = boto3.client("s3", endpoint_url=s3_endpoint, aws_access_key_id="test",
                          aws_secret_access_key="test", region_name="us-east-1")
    try:
        client.create_bucket(Bucket=BUCKET)
    except client.exceptions.BucketAlreadyOwnedByYou:
        pass
    return {"STORAGE_BACKEND": "s3", "S3_ENDPOINT_URL": s3_endpoint, "S3_BUCKET": BUCKET, "S3_PREFIX": "site1/",
            **KEYS}


def bucket_keys(s3_settings) -> set[str]:
    client = boto3.client("s3", endpoint_url=s3_settings["S3_ENDPOINT_URL"], aws_access_key_id="test",
                          aws_secret_access_key="test", region_name="us-east-1")
    listed = client.list_objects_v2(Bucket=BUCKET, Prefix="site1/")
    return {item["Key"] for item in listed.get("Contents", [])}


def _png(size=(40, 20)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (10, 200, 30)).save(out, format="PNG")
    return out.getvalue()


# --- the interface contract, on both stores ------------------------------------------------------


@pytest.fixture(params=["local", "s3"])
def store(request, tmp_path):
    if request.param == "local":
        return LocalStorage(tmp_path / "uploads")
    settings = request.getfixturevalue("s3_settings")
    return build_storage(settings)


@pytest.mark.backends("sqlite")
def test_store_saves_reads_replaces_and_deletes(store):
    assert store.read("avatars/1-aa.png") is None
    store.save("avatars/1-aa.png", b"first", "image/png")
    store.save("avatars/1-aa.png", b"second", "image/png")
    assert store.read("avatars/1-aa.png") == b"second"
    store.delete("avatars/1-aa.png")
    store.delete("avatars/1-aa.png")  # deleting twice is fine
    assert store.read("avatars/1-aa.png") is None


@pytest.mark.backends("sqlite")
@pytest.mark.parametrize("key", ["../secret_key", "avatars/../../etc/passwd", "/etc/passwd", "avatars\\x.png", "", "a/b/c"])
def test_store_refuses_keys_outside_its_folders(store, key):
    assert store.read(key) is None
    with pytest.raises(ValueError):
        store.save(key, b"x", "text/plain")


@pytest.mark.backends("sqlite")
def test_unreachable_s3_raises_storage_error(tmp_path):
    dead = build_storage({"STORAGE_BACKEND": "s3", "S3_ENDPOINT_URL": f"http://127.0.0.1:{free_port()}",
                          "S3_BUCKET": BUCKET, **KEYS})
    with pytest.raises(StorageError):
        dead.read("avatars/1-aa.png")


def test_unknown_backend_is_a_clear_error():
    with pytest.raises(ValueError, match="STORAGE_BACKEND"):
        build_storage({"STORAGE_BACKEND": "ftp", "UPLOAD_DIR": "/tmp"})


# --- avatars and logo through the app --------------------------------------------------------------


@pytest.fixture
def app_overrides(request):
    # Only the tests that ask for S3 get it; the rest keep the local default.
    return request.getfixturevalue("s3_settings") if "s3" in request.node.name else {}


@pytest.mark.backends("sqlite")
def test_s3_avatar_upload_is_served_and_removed(app, client, auth, make_user, s3_settings):
    user = make_user()
    auth.sign_in(user)
    response = client.post("/settings/avatar", data={"avatar": (io.BytesIO(_png((300, 300))), "me.png")},
                           content_type="multipart/form-data")
    assert response.status_code == 302
    db.session.expire_all()
    key = db.session.get(User, user.id).avatar_path
    assert f"site1/{key}" in bucket_keys(s3_settings)
    assert not (Path(app.config["UPLOAD_DIR"]) / key).exists()
    served = client.get(f"/avatars/{user.id}.png")
    assert served.status_code == 200 and served.mimetype == "image/png"
    assert Image.open(io.BytesIO(served.data)).size == (256, 256)
    assert client.post("/settings/avatar/remove").status_code == 302
    assert f"site1/{key}" not in bucket_keys(s3_settings)
    assert client.get(f"/avatars/{user.id}.png").status_code == 404


@pytest.mark.backends("sqlite")
def test_s3_brand_logo_is_stored_and_served(app, client, auth, make_user, s3_settings):
    auth.sign_in(make_user(role="admin"))
    form = {"name": "Acme", "tagline": "", "primary_color": "#123abc", "accent_color": "#f0a",
            "logo": (io.BytesIO(_png()), "logo.png")}
    assert client.post("/admin/settings", data=form, content_type="multipart/form-data").status_code in (200, 302)
    name = get_branding()["logo_path"]
    assert f"site1/brand/{name}" in bucket_keys(s3_settings)
    served = client.get(f"/brand/logo/{name}")
    assert served.status_code == 200 and served.data.startswith(b"\x89PNG")
    assert client.get("/brand/logo/..%2fsecret_key").status_code == 404


@pytest.mark.backends("sqlite")
def test_s3_down_gives_a_503_not_a_500(app, client, make_user):
    user = make_user()
    user.avatar_path = "avatars/1-abcdef.png"
    db.session.commit()
    app.extensions["community.storage"] = build_storage(
        {"STORAGE_BACKEND": "s3", "S3_ENDPOINT_URL": f"http://127.0.0.1:{free_port()}", "S3_BUCKET": BUCKET, **KEYS})
    response = client.get(f"/avatars/{user.id}.png")
    assert response.status_code == 503 and response.headers["Retry-After"]
    assert "briefly unavailable" in response.get_data(as_text=True)


@pytest.mark.backends("sqlite")
def test_local_default_keeps_files_in_upload_dir(app):
    assert isinstance(storage(app), LocalStorage)
    assert storage(app).root == Path(app.config["UPLOAD_DIR"])
