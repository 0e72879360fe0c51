"""Drill: attachments behind the documented proxy (deploy/nginx-parley.conf) with real gunicorn.

With ATTACHMENT_ACCEL_REDIRECT, gunicorn checks who may read and answers with an empty body and
X-Accel-Redirect; nginx sends the bytes from its internal location, with the headers Flask chose.
A request for the internal prefix itself is nginx's 404. With UPLOADS_HOST as well, the main
host redirects to that host with a token, and there the file comes with no cookie, through nginx
too; a bad token, or a page, is refused there.
"""
from __future__ import annotations

import grp
import os
import pwd
import re
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from sqlalchemy import select

from community.models import Attachment

from ..conftest import require_service
from .test_slow_clients import NGINX, Nginx

pytestmark = [pytest.mark.drill, pytest.mark.xdist_group("drills")]

PREFIX = "/_protected_uploads/"
FILES = "files.drill.test"
# Big enough that a gunicorn thread would be busy sending it; every line different.
LOG = b"".join(b"2026-12-08 10:%02d:%02d line %07d ERROR printer offline\n" % (n // 60 % 60, n % 60, n) for n in range(60_000))


def on_uploads(upload_dir: Path):
    """deploy/nginx-parley.conf's internal alias pointed at this site's UPLOAD_DIR."""

    def edit(folder: Path, config: Path) -> None:
        site = folder / "parley.conf"
        text, found = re.subn(r"alias /var/lib/parley/uploads/;", f"alias {upload_dir}/;", site.read_text())
        assert found == 1, "deploy/nginx-parley.conf lost its internal uploads location"
        site.write_text(text)
        if os.geteuid() == 0:  # started as root, nginx's workers would be nobody; the conf asks for the app's group
            user = f"user {pwd.getpwuid(os.geteuid()).pw_name} {grp.getgrgid(os.getegid()).gr_name};\n"
            config.write_text(user + config.read_text())

    return edit


def behind_nginx(make_site, **settings: str):
    require_service(Path(NGINX).exists(), "nginx (make nginx)")
    site = make_site(users=3, threads=1, ATTACHMENT_ACCEL_REDIRECT=PREFIX, PROXY_FIX_HOPS="1",
                     RATELIMIT_ATTACHMENTS="100000 per minute", **settings)
    server = site.serve(workers=1, threads=2)
    return site, Nginx(server.port, on_uploads(Path(site.env["COMMUNITY_INSTANCE_PATH"]) / "uploads"))


def upload(client, data: bytes, name: str) -> dict:
    answer = client.http.post("/attachments", files={"file": (name, data, "text/plain")},
                              headers={"X-CSRFToken": client.csrf, "Accept": "application/json"})
    assert answer.status_code == 201, answer.text[:300]
    return answer.json()


def posted_and_unposted(site, proxy):
    author = site.client(proxy.url, 0)
    posted, unposted = upload(author, LOG, "printer.log"), upload(author, b"draft only\n", "draft.log")
    assert author.reply(site.thread_ids[0], f"The log: {posted['markdown']}").status_code == 201
    key = site.scalar(select(Attachment.storage_key).where(Attachment.id == posted["id"]))
    return author, posted, unposted, key


def assert_file_headers(answer: httpx.Response, resource_policy: str) -> None:
    assert answer.headers["content-type"] == "text/plain; charset=utf-8"
    assert answer.headers["content-disposition"].startswith('attachment; filename="printer.log"')
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert "sandbox" in answer.headers["content-security-policy"]
    assert answer.headers["cross-origin-resource-policy"] == resource_policy
    assert answer.headers["cache-control"] == "private, no-cache"
    assert "x-accel-redirect" not in answer.headers  # nginx acted on it, never passed it on


def test_nginx_sends_the_file_after_gunicorns_check_and_hides_its_internal_folder(make_site):
    site, proxy = behind_nginx(make_site)
    try:
        author, posted, unposted, key = posted_and_unposted(site, proxy)
        reader = site.client(proxy.url, 1)
        served = reader.http.get(posted["url"])
        assert served.status_code == 200 and served.content == LOG
        assert int(served.headers["content-length"]) == len(LOG)
        assert_file_headers(served, "same-origin")
        part = reader.http.get(posted["url"], headers={"Range": "bytes=0-9"})
        assert part.status_code == 206 and part.content == LOG[:10]  # nginx's static module answers ranges

        assert author.http.get(unposted["url"]).content == b"draft only\n"
        for refused in (httpx.get(f"{proxy.url}{unposted['url']}", timeout=10),  # signed out
                        reader.http.get(unposted["url"])):  # another member: the draft is its uploader's
            assert refused.status_code == 404 and b"draft only" not in refused.content
        signed_out = httpx.get(f"{proxy.url}{posted['url']}", timeout=10)
        assert signed_out.status_code == 200  # the thread is public: so is its file
        for direct in (f"{PREFIX}{key}", f"{PREFIX}{key}".upper(), f"{PREFIX}../{key}"):
            answer = reader.http.get(direct)
            assert answer.status_code == 404 and LOG[:20] not in answer.content, direct
    finally:
        proxy.close()


def test_the_uploads_host_behind_nginx_serves_the_file_without_cookies(make_site):
    site, proxy = behind_nginx(make_site, UPLOADS_HOST=FILES)
    try:
        author, posted, _unposted, key = posted_and_unposted(site, proxy)
        redirect = author.http.get(posted["url"])
        assert redirect.status_code == 302
        location = urlsplit(redirect.headers["location"])
        assert location.netloc == FILES and location.path == posted["url"]
        files_host = {"Host": FILES}
        # The author's cookies go along (a browser would not send them): still nothing is set or read.
        served = author.http.get(f"{location.path}?{location.query}", headers=files_host)
        assert served.status_code == 200 and served.content == LOG
        assert_file_headers(served, "cross-origin")
        assert "set-cookie" not in served.headers

        tampered = author.http.get(f"{location.path}?{location.query[:-4]}AAAA", headers=files_host)
        assert tampered.status_code == 403 and LOG[:20] not in tampered.content
        for path in ("/", "/sign-in", f"/t/{site.thread_ids[0]}", f"{PREFIX}{key}"):
            answer = httpx.get(f"{proxy.url}{path}", headers=files_host, timeout=10)
            assert answer.status_code == 404 and "set-cookie" not in answer.headers, path
        assert httpx.get(f"{proxy.url}{posted['url']}", timeout=10).status_code == 302  # public: checked, then sent on
    finally:
        proxy.close()
