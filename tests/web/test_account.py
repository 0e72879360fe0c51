"""Profiles, settings (profile, email, password), avatars and account deletion."""
import io
from pathlib import Path

import pytest
from PIL import Image, PngImagePlugin
from sqlalchemy import select

from community.extensions import db
from community.models import Post, Thread, User, utcnow
from community.services.passwords import verify_password
from tests.factories import DEFAULT_PASSWORD
from tests.mailbox import link_path, outbox
from tests.web.session_helpers import signed_in


def fresh(user: User) -> User:
    db.session.expire_all()
    return db.session.get(User, user.id)


# --- profile page --------------------------------------------------------------------------------


def test_profile_shows_member_details_and_only_visible_threads(client, make_user, make_category, make_thread):
    author = make_user(display_name="Grace Hopper", username="grace", role="moderator")
    make_thread(author=author, title="How do compilers work")
    make_thread(author=author, title="Secret staff plans", category=make_category(visibility="staff"))
    make_thread(author=author, title="My private invoice question", is_private=True)
    html = client.get("/u/grace").get_data(as_text=True)
    assert "Grace Hopper" in html and "Moderator" in html and "Joined" in html
    assert "How do compilers work" in html
    assert "Secret staff plans" not in html and "My private invoice question" not in html
    assert 'class="avatar avatar-96 avatar-initials' in html and ">GH</span>" in html  # generated, no request


@pytest.mark.backends("sqlite")
def test_profile_of_unknown_or_deleted_member_is_404(client, make_user):
    make_user(username="deleted-9").deleted_at = utcnow()
    db.session.commit()
    assert client.get("/u/nobody").status_code == 404
    assert client.get("/u/deleted-9").status_code == 404


# --- profile settings ----------------------------------------------------------------------------


@pytest.mark.backends("sqlite")
def test_settings_need_sign_in(client):
    response = client.get("/settings")
    assert response.status_code == 302 and "/sign-in?next=" in response.headers["Location"]


def test_profile_settings_save_name_username_and_bio(client, auth, make_user):
    user = make_user()
    auth.sign_in(user)
    response = client.post("/settings/profile", data={"display_name": "Ada L.", "username": "Ada_L", "bio": "Poet of numbers"})
    assert response.status_code == 302
    saved = fresh(user)
    assert (saved.display_name, saved.username, saved.bio) == ("Ada L.", "ada_l", "Poet of numbers")
    assert client.get("/u/ada_l").status_code == 200


@pytest.mark.backends("sqlite")
@pytest.mark.parametrize(
    "username, message",
    [("taken", "is taken"), ("a", "3–30"), ("admin", "reserved"), ("has space", "3–30"), ("bad\x00", "not allowed")],
)
def test_profile_settings_errors_keep_what_was_typed(client, auth, make_user, username, message):
    make_user(username="taken")
    user = make_user(username="mine")
    auth.sign_in(user)
    response = client.post("/settings/profile", data={"display_name": "Typed Name", "username": username, "bio": "Typed bio"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in html and 'value="Typed Name"' in html and "Typed bio" in html
    assert fresh(user).username == "mine"


# --- password and email --------------------------------------------------------------------------


def test_change_password_ends_other_sessions_but_keeps_this_one(app, client, make_user):
    user = make_user(email="grace@example.com")
    client.post("/sign-in", data={"email": "grace@example.com", "password": DEFAULT_PASSWORD})
    other = app.test_client()
    other.post("/sign-in", data={"email": "grace@example.com", "password": DEFAULT_PASSWORD})
    new = "an entirely new passphrase"
    response = client.post(
        "/settings/password",
        data={"pw-current_password": DEFAULT_PASSWORD, "pw-new_password": new, "pw-confirm": new},
    )
    assert response.status_code == 302
    assert verify_password(fresh(user).password_hash, new)
    assert signed_in(client)
    assert not signed_in(other)


@pytest.mark.backends("sqlite")
@pytest.mark.parametrize(
    "current, new, message",
    [("wrong one", "an entirely new passphrase", "not your current password"), (DEFAULT_PASSWORD, "1234567890", "too common")],
)
def test_change_password_refusals(client, auth, make_user, current, new, message):
    user = make_user()
    auth.sign_in(user)
    response = client.post(
        "/settings/password", data={"pw-current_password": current, "pw-new_password": new, "pw-confirm": new}
    )
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert verify_password(fresh(user).password_hash, DEFAULT_PASSWORD)


def test_change_email_confirms_through_the_new_address(app, client, auth, make_user):
    user = make_user(email="old@example.com")
    auth.sign_in(user)
    response = client.post("/settings/email", data={"change-email": "New@Example.com", "change-current_password": DEFAULT_PASSWORD})
    assert response.status_code == 302
    assert fresh(user).email == "old@example.com"
    [message] = outbox(app)
    assert message["To"] == "New@example.com"
    path = link_path(message)
    assert "New@example.com" in client.get(path).get_data(as_text=True)
    assert client.post(path).status_code == 302
    changed = fresh(user)
    assert (changed.email, changed.email_normalized, changed.email_verified) == ("New@example.com", "new@example.com", True)
    notice = outbox(app)[-1]
    assert notice["To"] == "old@example.com" and "was changed" in notice["Subject"]
    assert client.post(path).status_code == 400


@pytest.mark.backends("sqlite")
@pytest.mark.parametrize(
    "email, password, message",
    [("TAKEN@example.com", DEFAULT_PASSWORD, "Another account"), ("nope", DEFAULT_PASSWORD, "valid email"), ("x@example.com", "bad", "not your current")],
)
def test_change_email_refusals_keep_the_typed_address(app, client, auth, make_user, email, password, message):
    make_user(email="taken@example.com")
    auth.sign_in(make_user(email="me@example.com"))
    response = client.post("/settings/email", data={"change-email": email, "change-current_password": password})
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and message in html and f'value="{email}"' in html
    assert outbox(app) == []


# --- avatars -------------------------------------------------------------------------------------


def png_with_metadata(size=(600, 400)) -> bytes:
    image = Image.new("RGB", size, "#336699")
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "secret location 51.5N")
    out = io.BytesIO()
    image.save(out, format="PNG", pnginfo=info)
    return out.getvalue()


def upload(client, data: bytes, name: str = "me.png"):
    return client.post("/settings/avatar", data={"avatar": (io.BytesIO(data), name)}, content_type="multipart/form-data")


def test_avatar_upload_is_reencoded_small_and_stripped(client, auth, make_user):
    user = make_user(username="pic")
    auth.sign_in(user)
    assert upload(client, png_with_metadata()).status_code == 302
    saved = fresh(user)
    assert saved.avatar_path.endswith(".png")
    html = client.get("/u/pic").get_data(as_text=True)
    served = client.get(f"/avatars/{user.id}.png")
    assert served.status_code == 200 and served.mimetype == "image/png"
    image = Image.open(io.BytesIO(served.data))
    assert max(image.size) == 256 and image.size == (256, 171)
    assert "Comment" not in image.info and b"secret location" not in served.data
    assert f"/avatars/{user.id}.png?v=" in html


@pytest.mark.backends("sqlite")
def test_twenty_megabyte_avatar_gets_a_friendly_413(client, auth, make_user):
    user = make_user()
    auth.sign_in(user)
    response = upload(client, b"\x89PNG" + b"\0" * (20 * 1024 * 1024))
    assert response.status_code == 413
    assert "too large" in response.get_data(as_text=True)
    assert fresh(user).avatar_path is None


@pytest.mark.backends("sqlite")
@pytest.mark.parametrize("data", [b"just some text, renamed", b"%PDF-1.4 fake", png_with_metadata()[:200]])
def test_non_images_renamed_png_are_refused(client, auth, make_user, data):
    user = make_user()
    auth.sign_in(user)
    response = upload(client, data, "avatar.png")
    assert response.status_code == 422
    assert "not a PNG, JPEG, GIF or WebP" in response.get_data(as_text=True)
    assert fresh(user).avatar_path is None


@pytest.mark.backends("sqlite")
def test_removing_the_avatar_falls_back_to_initials(app, client, auth, make_user):
    user = make_user(display_name="Ada Lovelace")
    auth.sign_in(user)
    upload(client, png_with_metadata((64, 64)))
    path = Path(app.config["UPLOAD_DIR"]) / fresh(user).avatar_path
    assert path.exists()
    assert client.post("/settings/avatar/remove").status_code == 302
    assert fresh(user).avatar_path is None and not path.exists()
    svg = client.get(f"/avatars/{user.id}.svg")
    assert svg.mimetype == "image/svg+xml" and ">AL</text>" in svg.get_data(as_text=True)
    assert client.get(f"/avatars/{user.id}.png").status_code == 404


# --- deletion ------------------------------------------------------------------------------------


def test_delete_account_anonymises_keeps_threads_and_signs_out(client, make_user, make_thread, make_post):
    user = make_user(email="leaving@example.com", display_name="Leaving User")
    thread = make_thread(author=user, title="Keep this thread")
    reply = make_post(thread=make_thread(), author=user, body="A helpful answer")
    client.post("/sign-in", data={"email": "leaving@example.com", "password": DEFAULT_PASSWORD})
    wrong = client.post("/settings/delete", data={"password": "not my password"})
    assert wrong.status_code == 422 and fresh(user).deleted_at is None
    assert client.post("/settings/delete", data={"password": DEFAULT_PASSWORD}).status_code == 302
    gone = fresh(user)
    assert gone.display_name == "Former member" and gone.email == f"deleted-{user.id}@invalid"
    assert db.session.get(Thread, thread.id).author_id == user.id
    assert db.session.get(Post, reply.id).body_markdown == "A helpful answer"
    assert not signed_in(client)
    again = client.post("/sign-in", data={"email": "leaving@example.com", "password": DEFAULT_PASSWORD})
    assert again.status_code == 422
    assert db.session.scalar(select(User).where(User.email_normalized == "leaving@example.com")) is None


@pytest.mark.backends("sqlite")
@pytest.mark.parametrize("image_format", ["JPEG", "GIF", "WEBP"])
def test_jpeg_gif_and_webp_avatars_become_png(client, auth, make_user, image_format):
    user = make_user()
    auth.sign_in(user)
    out = io.BytesIO()
    Image.new("RGB", (300, 300), "#aa3300").save(out, format=image_format)
    assert upload(client, out.getvalue(), f"me.{image_format.lower()}").status_code == 302
    served = Image.open(io.BytesIO(client.get(f"/avatars/{user.id}.png").data))
    assert (served.format, served.size) == ("PNG", (256, 256))
