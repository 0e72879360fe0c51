"""Email: build branded text+HTML messages from templates/emails/ and deliver them.

Delivery goes over SMTP when SMTP_HOST is set; otherwise each message is written as an .eml file
to instance/outbox/ and logged, so a fresh install works without a mail server. Callers send from
jobs (after their commit), never inside a request's transaction.
"""
from __future__ import annotations

import logging
import smtplib
import uuid
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from pathlib import Path
from typing import Any

from flask import current_app

from .branding import get_branding

log = logging.getLogger(__name__)


def send_email(
    to: str, subject: str, template_name: str, *, headers: dict[str, str] | None = None, **context: Any
) -> EmailMessage:
    """Render templates/emails/<template_name>.txt and .html and deliver the message.
    `headers` adds extra header lines (List-Unsubscribe and the like)."""
    message = build_message(to, subject, template_name, context, headers)
    deliver(message)
    return message


def build_message(
    to: str, subject: str, template_name: str, context: dict[str, Any], headers: dict[str, str] | None = None
) -> EmailMessage:
    brand = get_branding()
    context = {"brand": brand, "base_url": base_url(), "subject": subject, **context}
    # jinja_env directly: emails render in jobs, where request-bound context processors can't run.
    env = current_app.jinja_env
    text = env.get_template(f"emails/{template_name}.txt").render(context)
    html = env.get_template(f"emails/{template_name}.html").render(context)
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = formataddr((brand["name"], current_app.config["MAIL_FROM"]))
    message["To"] = to
    message["Message-ID"] = make_msgid(domain=current_app.config["MAIL_FROM"].rpartition("@")[2] or None)
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    return message


def deliver(message: EmailMessage) -> None:
    if current_app.config.get("SMTP_HOST"):
        _send_smtp(message)
    else:
        _write_outbox(message)


def _send_smtp(message: EmailMessage) -> None:
    config = current_app.config
    with smtplib.SMTP(config["SMTP_HOST"], int(config["SMTP_PORT"]), timeout=15) as smtp:
        if config.get("SMTP_STARTTLS"):
            smtp.starttls()
        if config.get("SMTP_USERNAME"):
            smtp.login(config["SMTP_USERNAME"], config.get("SMTP_PASSWORD") or "")
        smtp.send_message(message)
    log.info("sent email %r to %s", message["Subject"], message["To"])


def outbox_dir() -> Path:
    return Path(current_app.instance_path) / "outbox"


def _write_outbox(message: EmailMessage) -> Path:
    folder = outbox_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{uuid.uuid4().hex}.eml"
    path.write_bytes(bytes(message))
    log.info("no SMTP_HOST: wrote email %r to %s into %s", message["Subject"], message["To"], path)
    return path


def base_url() -> str:
    return (get_branding().get("base_url") or current_app.config["BASE_URL"]).rstrip("/")


def absolute_url(endpoint: str, **values: Any) -> str:
    """A link for an email. Built from the URL map, since jobs have no request to build against."""
    path = current_app.url_map.bind("localhost").build(endpoint, values)
    return base_url() + path
