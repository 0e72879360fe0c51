"""The guard that finds new sinks: the demo community, with a marker in every user-, admin- and
outside-controlled column (tests/security/markers.py), walked as every role through every page it
links to, plus the emails those rows send. It fails when

- a marker reaches the output unescaped (a `|safe`, a `Markup(...)`, markup built in Python);
- a template prints a marked column and no sink of the registry (tests/security/sinks.py) lists
  that template for that column: a new feature's sink must be registered, and so run the corpus;
- a template is neither reached by the walk nor listed in UNREACHED with the reason;
- a page script puts a JSON field into the DOM as HTML and the registry does not name it.
"""
from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import quote

import pytest
from flask import g
from jinja2 import ChoiceLoader, DictLoader
from sqlalchemy import select

from community.extensions import db
from community.models import Notification, Post, Tag
from community.search.upkeep import rebuild_index
from community.services.notification_kinds import KINDS
from tests.mailbox import html_body, outbox
from tests.security import crawl, world
from tests.security.markers import MARKED, UNMARKED, mark_every_column, text_columns
from tests.security.sinks import INNER_HTML_CONSUMERS, covering

pytestmark = pytest.mark.backends("sqlite")

ROOT = Path(__file__).resolve().parents[2]
STARTS = ["/", "/latest", "/categories", "/notifications", "/notifications/preferences", "/settings",
          "/settings/tokens", "/admin", "/admin/webhooks", "/mod", "/mod/audit", "/mod/watched-words",
          "/staff/bridge", "/staff/bridge/status", "/staff/bridge/canned", "/staff/dashboard", "/inbox",
          "/widgets", "/search/insights", "/latest.atom"]

# Templates the walk does not reach, and why they hold no marked field (or where it is checked).
UNREACHED = {
    "account/confirm_email.html": "token page: shows the new address the member typed, escaped",
    "auth/check_email.html": "after sign-up: static text and the address just typed",
    "auth/placeholder.html": "sign-in providers not configured: static text",
    "identity/link.html": "needs a pending provider sign-in: the provider's name and the account's email, escaped",
    "identity/refused.html": "a fixed message per refusal (identity/service.py REFUSALS)",
    "identity/signed_out.html": "needs a provider sign-out pending: the provider's name, escaped",
    "auth/resend_verification.html": "form only",
    "auth/reset_password.html": "token page: form only",
    "auth/token_invalid.html": "static text",
    "auth/verify_email.html": "token page: the member's own name",
    "bridge/join.html": "token page: the X post text; run with the corpus (sinks.py, X bridge landing)",
    "bridge/join_composer_note.html": "include of join.html",
    "bridge/join_confirm.html": "token page: the member's own name",
    "bridge/join_refused.html": "static text",
    "bridge/join_x.html": "token page: the X handle",
    "bridge/join_x_failed.html": "static text",
    "emails/sla_breach.html": "sent only with an SLA alert address set; thread title and category name",
    "emails/verify_email.html": "sent to unverified members only; the member's own name",
    "feeds/sitemap_index.xml": "page numbers only",
    "mod/_system_note.html": "system notes are written by the code",
    "mod/make_private.html": "a post's excerpt, as in mod/flag.html",
    "notifications/unsubscribe.html": "token page: a notification kind's label",
    "mod/_post_badges.html": "pending posts' badges: fixed labels",
    "attachments/_flagged_files.html": "needs a flagged file: its name and flag notes, escaped (tests/attachments/test_moderation.py)",
    "attachments/flag.html": "needs a file on a post: its name, the thread title and author, escaped",
    "emails/_files.html": "needs a post with files: their names, escaped (tests/attachments/test_emails.py)",
}


def _sign_in(client, user) -> None:
    with client.session_transaction() as session:
        session.clear()
        if user is not None:
            session["_user_id"] = user.get_id()
            session["_fresh"] = True
    g.pop("_login_user", None)


def _send_every_email(app, built: world.World, seen: crawl.Observations) -> None:
    from community.metrics import csat, sla
    from community.services import account_emails, lifecycle, notification_emails
    from community.webhooks import delivery

    member, thread = built.users["customer"], built.thread
    account_emails.send_email_change_email(member.id, "new@example.com")
    account_emails.send_email_changed_notice(member.id, "old@example.com")
    account_emails.send_password_reset_email(member.id)
    rows = db.session.scalars(select(Notification).order_by(Notification.id)).all()
    receiver = db.session.get(type(member), rows[0].user_id)
    mine = [row for row in rows if row.user_id == receiver.id and row.kind in KINDS]
    notification_emails.send_single(receiver, mine[0])
    notification_emails.send_digest_email(receiver, mine)
    lifecycle.email_accept_reminder(thread.id)
    csat.offer(thread.id)
    sla.announce_breach(built.breach.id)
    delivery.notify_admins_disabled(built.endpoint.id)
    for message in outbox(app):
        crawl.check_body(f"email {message['Subject']!r}", html_body(message), seen)


def observe(app, client) -> crawl.Observations:
    seen = crawl.Observations()
    crawl.install_spy(app, seen)
    built = world.build()
    mark_every_column()
    rebuild_index()
    _send_every_email(app, built, seen)
    thread = built.thread
    last_post = db.session.scalars(select(Post).where(Post.thread_id == thread.id).order_by(Post.position)).all()[-1]
    starts = STARTS + [
        f"/search?q=mk{MARKED.index('threads.title')}", f"/p/{last_post.id}/revisions", f"/p/{last_post.id}/edit",
        f"/p/{last_post.id}/flag", f"/mod/users/{built.users['suspended'].id}", f"/widgets/{built.widget.id}",
        f"/embed/w/{built.widget.id}/frame", f"/embed/thread/{thread.id}", f"/admin/webhooks/{built.endpoint.id}",
        f"/c/{thread.category.slug}/solved.atom",
    ]
    for tag in db.session.scalars(select(Tag).where(Tag.is_official.is_(True)).order_by(Tag.id).limit(1)):
        starts += [f"/tag/{quote(tag.name, safe='')}", f"/latest?tag={quote(tag.name, safe='')}"]
    for user in [None, *built.users.values()]:
        _sign_in(client, user)
        crawl.walk(app, client, starts, seen)
    return seen


@pytest.fixture
def app_overrides():
    return {"PAGE_CACHE_ENABLED": False}


def test_every_marked_field_is_escaped_and_every_sink_is_registered(app, client):
    seen = observe(app, client)
    assert seen.leaks == [], "\n".join(seen.leaks[:10])
    printed = {(template, MARKED[index]) for template, indexes in seen.printed.items() for index in indexes}
    # Plain-text email parts are never parsed as HTML.
    unregistered = sorted(pair for pair in printed if not pair[0].endswith(".txt") and not covering(*pair))
    assert unregistered == [], f"register these (template, column) pairs as sinks in tests/security/sinks.py: {unregistered}"
    templates = {str(path.relative_to(ROOT / "templates")) for path in (ROOT / "templates").rglob("*.*")}
    unreached = set(UNREACHED) | {name.replace(".html", ".txt") for name in UNREACHED}  # an email's text part
    assert sorted(templates - seen.reached - unreached) == []
    assert sorted(unreached & seen.reached) == [], "reached now: drop from UNREACHED"
    columns = {column for _, column in printed}
    print(f"\nguard: {seen.pages} pages as {len(world.ROLES)} roles + anonymous, {len(seen.reached)} templates, "
          f"{len(columns)} of {len(MARKED)} marked columns printed; never printed: {sorted(set(MARKED) - columns)}")


def test_every_text_column_is_marked_or_has_a_reason():
    from community import models  # noqa: F401 (every table in the metadata)

    assert sorted(text_columns() - set(MARKED) - set(UNMARKED)) == []
    assert sorted((set(MARKED) | set(UNMARKED)) - text_columns()) == []


def test_every_inner_html_consumer_is_registered():
    writes = re.compile(r"\.(innerHTML|outerHTML)\s*=|insertAdjacentHTML|document\.write")
    found = {str(path.relative_to(ROOT)) for path in (ROOT / "static").rglob("*.js") if writes.search(path.read_text())}
    assert found == set(INNER_HTML_CONSUMERS)


def test_the_guard_catches_a_planted_safe_filter(app, client):
    planted = (ROOT / "templates/forum/thread.html").read_text().replace(
        "{{ thread.title }}", "{{ thread.title|safe }}", 1)
    assert "|safe" in planted
    app.jinja_env.loader = ChoiceLoader([DictLoader({"forum/thread.html": planted}), app.jinja_env.loader])
    seen = observe(app, client)
    assert any(leak.startswith("forum/thread.html: prints Markup") for leak in seen.leaks), seen.leaks[:3]
