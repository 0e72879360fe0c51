"""Reading the emails a test caused: the .eml files in instance/outbox or SMTP-captured messages."""
from __future__ import annotations

import re
import time
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

LINK = re.compile(r"https?://[^\s\"<>]+")


def outbox(app) -> list[EmailMessage]:
    folder = Path(app.instance_path) / "outbox"
    files = sorted(folder.glob("*.eml"), key=lambda path: path.stat().st_mtime_ns) if folder.exists() else []
    return [message_from_bytes(path.read_bytes(), policy=policy.default) for path in files]


def wait_for_outbox(app, count: int = 1, timeout: float = 10.0, to: str | None = None) -> list[EmailMessage]:
    """The outbox (only mail to `to`, when given) once it holds `count` messages, or whatever it
    holds at the timeout. Under a live server mail is sent by a job that runs after the response
    has gone out, so the page a browser sees next can come before the mail is written."""
    deadline = time.monotonic() + timeout
    while len(messages := _addressed(outbox(app), to)) < count and time.monotonic() < deadline:
        time.sleep(0.05)
    return messages


def _addressed(messages: list[EmailMessage], to: str | None) -> list[EmailMessage]:
    return [message for message in messages if to is None or message["To"] == to]


def text_body(message: EmailMessage) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def html_body(message: EmailMessage) -> str:
    return message.get_body(preferencelist=("html",)).get_content()


def link_path(message: EmailMessage, base_url: str = "http://127.0.0.1:5000") -> str:
    """The first link in the text part, as a path the test client can open."""
    link = LINK.search(text_body(message)).group(0)
    assert link.startswith(base_url), link
    return link[len(base_url):]
