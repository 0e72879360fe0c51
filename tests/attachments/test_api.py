"""The API's post objects list their attachments; the URLs answer a bearer token exactly as the
post is readable (the same rule as pages), and never list anything of a post the token can't read."""
from __future__ import annotations

from community.extensions import db
from community.models import Attachment
from tests.api.conftest import issue_token

from .helpers import png, upload


def _posted(client, auth, author, thread):
    auth.sign_in(author)
    image = upload(client, png(), "screen.png").get_json()
    log = upload(client, b"ERROR\n", "boot.log").get_json()
    client.post(f"/t/{thread.id}/reply", data={"body": f"{image['markdown']} {log['markdown']}"})
    auth.sign_out()
    return db.session.get(Attachment, image["id"]).post_id, image, log


def test_post_objects_list_attachments_whose_urls_take_the_token(app, client, auth, make_user, make_thread):
    author, reader = make_user(), make_user()
    thread = make_thread()
    post_id, image, log = _posted(client, auth, author, thread)
    headers = {"Authorization": f"Bearer {issue_token(reader)}"}
    body = client.get(f"/api/v1/posts/{post_id}", headers=headers).get_json()
    listed = {item["name"]: item for item in body["attachments"]}
    assert set(listed) == {"screen.png", "boot.log"}
    assert listed["screen.png"]["is_image"] and listed["screen.png"]["thumbnail_url"].endswith("/thumbnail")
    assert listed["boot.log"]["size"] == 6 and listed["boot.log"]["thumbnail_url"] is None
    path = listed["boot.log"]["url"].removeprefix(app.config["BASE_URL"].rstrip("/"))
    assert client.get(path, headers=headers).data == b"ERROR\n"
    thread_posts = client.get(f"/api/v1/threads/{thread.id}", headers=headers).get_json()["posts"]
    assert [len(item["attachments"]) for item in thread_posts] == [0, 2]


def test_a_private_threads_files_refuse_another_members_token(app, client, auth, make_user, make_thread):
    author, stranger = make_user(), make_user()
    thread = make_thread(author=author, is_private=True)
    post_id, image, log = _posted(client, auth, author, thread)
    stranger_headers = {"Authorization": f"Bearer {issue_token(stranger)}"}
    assert client.get(f"/api/v1/posts/{post_id}", headers=stranger_headers).status_code == 404
    for url in (image["url"], log["url"]):
        assert client.get(url, headers=stranger_headers).status_code == 404
        assert client.get(url, headers={"Authorization": "Bearer not-a-token"}).status_code == 404
    owner_headers = {"Authorization": f"Bearer {issue_token(author)}"}
    assert client.get(log["url"], headers=owner_headers).status_code == 200
