"""Who may list, read, start threads and reply, per category visibility and role, over real routes."""
import pytest
from sqlalchemy import func, select

from community.extensions import db
from community.models import Attachment, Post, Thread, Visibility
from community.storage import storage
from tests.storage.test_storage import s3_endpoint, s3_settings  # noqa: F401 (fixtures)

ROLES = ["anonymous", "member", "unverified_customer", "verified_customer", "staff", "admin"]
ACTIONS = ["list", "read", "post", "reply"]

# What each role reads, straight from the issue; posting additionally needs a verified email.
READABLE = {
    "anonymous": {Visibility.public},
    "member": {Visibility.public, Visibility.members},
    "unverified_customer": {Visibility.public, Visibility.members},
    "verified_customer": {Visibility.public, Visibility.members, Visibility.customers},
    "staff": set(Visibility),
    "admin": set(Visibility),
}
EMAIL_VERIFIED = {"unverified_customer", "verified_customer", "staff", "admin"}


def expected(role: str, visibility: Visibility, action: str) -> bool:
    readable = visibility in READABLE[role]
    return readable if action in ("list", "read") else readable and role in EMAIL_VERIFIED


def _make_viewer(role, make_user):
    if role == "anonymous":
        return None
    return {
        "member": lambda: make_user(email_verified=False),
        "unverified_customer": lambda: make_user(),
        "verified_customer": lambda: make_user(verified_customer=True),
        "staff": lambda: make_user(role="staff"),
        "admin": lambda: make_user(role="admin"),
    }[role]()


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _attempt(client, action, category, thread, readable: bool) -> bool:
    """Perform the action over HTTP; True when it visibly succeeded."""
    if action == "list":
        listed = [client.get(f"/c/{category.slug}"), client.get("/latest")]
        return all(r.status_code == 200 and thread.title in r.get_data(as_text=True) for r in listed)
    if action == "read":
        response = client.get(f"/t/{thread.id}-{thread.slug}")
        assert response.status_code in (200, 404)
        return response.status_code == 200 and thread.title in response.get_data(as_text=True)
    if action == "post":
        before = _count(Thread)
        response = client.post(f"/c/{category.slug}/new", data={"title": "A new question", "body": "Details"})
        created = _count(Thread) == before + 1
        # A category the viewer may not read answers as a missing one (404); a readable one they
        # may not post in says why (403).
        assert response.status_code == (302 if created else 403 if readable else 404)
        return created
    before = _count(Post)
    response = client.post(f"/t/{thread.id}/reply", data={"body": "A reply"})
    created = _count(Post) == before + 1
    assert response.status_code in ((302,) if created else (403, 404))
    return created


# Visibility filtering is plain SQL on an enum column; test_forum runs it on both backends.
@pytest.mark.backends("sqlite")
@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("visibility", list(Visibility))
def test_permission_matrix(client, auth, make_user, make_category, make_thread, visibility, role, action):
    category = make_category(visibility=visibility)
    thread = make_thread(category=category, title="The matrix thread")
    viewer = _make_viewer(role, make_user)
    if viewer is not None:
        auth.sign_in(viewer)
    readable = visibility in READABLE[role]
    assert _attempt(client, action, category, thread, readable) is expected(role, visibility, action)


@pytest.mark.parametrize("who", ["author", "staff", "admin", "other_member", "anonymous"])
def test_private_threads_only_reach_their_author_and_staff(client, auth, make_user, make_category, make_thread, who):
    category = make_category()
    author = make_user()
    private = make_thread(author=author, category=category, title="My private billing question", is_private=True)
    make_thread(category=category, title="Public thread")
    from community.services.threads import refresh_category_counters

    refresh_category_counters(category)
    db.session.commit()
    viewer = {"author": author, "staff": make_user(role="staff"), "admin": make_user(role="admin"),
              "other_member": make_user(verified_customer=True), "anonymous": None}[who]
    if viewer is not None:
        auth.sign_in(viewer)
    sees = who in ("author", "staff", "admin")
    pages = [client.get(url).get_data(as_text=True) for url in ("/", "/latest", "/unanswered", f"/c/{category.slug}")]
    assert all((private.title in page) is sees for page in pages)
    assert (client.get(f"/t/{private.id}-{private.slug}").status_code == 200) is sees
    # Counters are public numbers: the private thread is never in them, whoever looks.
    assert "1 thread" in pages[0] and "1 thread · 1 post" in client.get("/categories").get_data(as_text=True)
    if sees:
        assert "Private" in pages[1]


# --- attachments: a read path of their own, on both stores -----------------------------------------


@pytest.fixture
def app_overrides(request):
    """The attachment matrix runs on the local folder and on S3; the rest keeps the default."""
    return request.getfixturevalue("s3_settings") if "-s3" in request.node.name else {}


def _attachment_on(post: Post, name: str, is_image: bool) -> Attachment:
    key = f"attachments/matrix{post.id}{'i' if is_image else 'f'}.{'png' if is_image else 'log'}"
    storage().save(key, b"matrix bytes", "image/png" if is_image else "text/plain")
    attachment = Attachment(
        uploader_id=post.author_id, post_id=post.id, name=name, is_image=is_image,
        content_type="image/png" if is_image else "text/plain; charset=utf-8", size_bytes=12, original_size_bytes=12,
        sha256="0" * 64, storage_key=key,
    )
    db.session.add(attachment)
    db.session.commit()
    return attachment


def _fetched(client, attachment) -> bool:
    response = client.get(f"/attachments/{attachment.id}/{attachment.name}")
    assert response.status_code in (200, 302, 404), response.status_code
    if response.status_code == 302:  # S3: a signed URL, handed out only after the check
        import httpx

        return httpx.get(response.headers["Location"]).content == b"matrix bytes"
    return response.status_code == 200 and response.data == b"matrix bytes"


@pytest.mark.backends("sqlite")
@pytest.mark.parametrize("store", ["local", "s3"])
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("visibility", list(Visibility))
def test_attachment_permission_matrix(client, auth, make_user, make_category, make_thread, visibility, role, store):
    """An attachment is readable exactly when its post is: every role, visibility and store, and
    never through a private thread, a hidden post or a deleted one."""
    category = make_category(visibility=visibility)
    thread = make_thread(category=category, title="The matrix thread")
    private = make_thread(category=category, title="A private one", is_private=True)
    hidden = make_thread(category=category, title="Hidden reply")
    public_file = _attachment_on(db.session.get(Post, thread.last_post_id), "shot.png", True)
    private_file = _attachment_on(db.session.get(Post, private.last_post_id), "mine.log", False)
    hidden_post = db.session.get(Post, hidden.last_post_id)
    hidden_post.is_hidden = True
    hidden_file = _attachment_on(hidden_post, "hidden.log", False)
    viewer = _make_viewer(role, make_user)
    if viewer is not None:
        auth.sign_in(viewer)
    readable = visibility in READABLE[role]
    staff = role in ("staff", "admin")
    assert _fetched(client, public_file) is readable
    assert _fetched(client, private_file) is (readable and staff)
    assert _fetched(client, hidden_file) is (readable and staff)
