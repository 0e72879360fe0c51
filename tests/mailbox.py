"""Reading the emails a test caused: the .eml files in instance/outbox or SMTP-captured messages."""
from __future__ import annotations

import re
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

LINK = re.compile(r"https?://[^\s\"<>]+")


def outbox(app) -> list[EmailMessage]:
    folder = Path(app.instance_path) / "outbox"
    files = sorted(folder.glob("*.eml"), key=lambda path: path.stat().st_mtime_ns) if folder.exists() else []
    return [message_from_bytes(path.read_bytes(), policy=policy.default) for path in files]


def text_body(message: EmailMessage) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def html_body(message: EmailMessage) -> str:
    return message.get_body(preferencelist=("html",)).get_content()


def link_path(message: EmailMessage, base_url: str = "http://127.0.0.1:5000") -> str:
    """The first link in the text part, as a path the test client can open."""
    link = LINK.search(text_body(message)).group(0)
    assert link.startswith(base_url), link
    return link[len(base_url):]
