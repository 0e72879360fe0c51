"""The quality gates crawl (issue 15): which GET rules are pages, the seeded community they are
visited in, and the two checkers: axe-core in Chromium and the Nu Html Checker (vnu.jar) once over
every saved page.

Every GET rule of app.url_map is either in PAGES (how to build a real path for it from the world)
or in EXCLUDED (why it is no HTML page); tests/web/test_quality_crawl.py fails on a rule in neither.
"""
from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Callable

from sqlalchemy import select

from community.bridge.invite_links import issue_invite_link
from community.extensions import db
from community.metrics.csat import PURPOSE as CSAT_PURPOSE
from community.models import BridgeCannedResponse, BridgeCase, Post, Role, Thread
from community.services import tokens
from community.services.notification_emails import unsubscribe_token
from community.services.notification_kinds import ALL_KINDS
from tests import factories
from tests.security import world

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
VNU = ROOT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
OUTPUT = ROOT / "test-output"
WIDTHS = {"desktop": 1280, "mobile": 390}
HEIGHT = 900


# GET rules whose path needs nothing filled in (and no query string).
PLAIN_PAGES = (
    "/", "/categories", "/latest", "/unanswered", "/new", "/search/insights", "/sign-in", "/sign-up",
    "/password/forgot", "/verify-email/resend", "/settings", "/settings/delete", "/settings/tokens",
    "/notifications", "/notifications/settings", "/widgets/", "/widgets/new", "/mod/queue",
    "/mod/watched-words", "/staff/audit", "/staff/inbox", "/staff/dashboard", "/staff/dashboard/sla",
    "/staff/bridge", "/staff/bridge/status", "/staff/bridge/canned", "/admin/", "/admin/settings",
    "/admin/users/", "/admin/api-tokens", "/admin/categories", "/admin/tags", "/admin/categories/new",
    "/admin/webhooks", "/admin/webhooks/new", "/admin/attachments", "/admin/identity/", "/admin/identity/new",
)

# Rule -> the path the crawl opens, filled in from the world `w` (str.format: "{w.solved.id}").
PAGES: dict[str, str] = {rule: rule for rule in PLAIN_PAGES} | {
    "/c/<slug>": "/c/{w.category.slug}",
    "/c/<slug>/new": "/c/{w.category.slug}/new",
    "/t/<int:thread_id>-<slug>": "/t/{w.solved.id}-{w.solved.slug}",
    "/t/<int:thread_id>": "/t/{w.private.id}",  # the private thread (redirects to its slug)
    "/t/<int:thread_id>/solution": "/t/{w.solved.id}/solution",  # redirects to the answer
    "/tag/<name>": "/tag/{w.tag}",
    "/p/<int:post_id>": "/p/{w.post.id}",
    "/p/<int:post_id>/edit": "/p/{w.post.id}/edit",
    "/p/<int:post_id>/flag": "/p/{w.post.id}/flag",
    "/p/<int:post_id>/revisions": "/p/{w.post.id}/revisions",
    "/u/<username>": "/u/{w.profile.username}",
    "/search": "/search?q=server",
    "/search/similar/page": "/search/similar/page?title=resize+server",
    "/password/reset/<token>": "/password/reset/{w.reset_token}",
    "/verify-email/<token>": "/verify-email/{w.verify_token}",
    "/settings/email/confirm/<token>": "/settings/email/confirm/{w.change_email_token}",
    "/notifications/unsubscribe/<token>": "/notifications/unsubscribe/{w.unsubscribe_token}",
    "/csat/<int:thread_id>": "/csat/{w.csat_thread_id}",
    "/csat/r/<token>": "/csat/r/{w.csat_token}",
    "/join/<token>": "/join/{w.invite_token}",
    "/join/<token>/thread": "/join/{w.invite_token}/thread",
    "/join/<token>/x": "/join/{w.invite_token}/x",
    "/join/x/callback": "/join/x/callback?state=stale&code=nope",
    "/embed/thread/<key>": "/embed/thread/{w.solved.id}",
    "/embed/w/<key>/frame": "/embed/w/{w.widget.id}/frame",
    "/widgets/<int:widget_id>": "/widgets/{w.widget.id}",
    "/mod/users/<int:user_id>": "/mod/users/{w.suspended.id}",
    "/mod/threads/<int:thread_id>/move": "/mod/threads/{w.solved.id}/move",
    "/mod/threads/<int:thread_id>/merge": "/mod/threads/{w.solved.id}/merge",
    "/mod/posts/<int:post_id>/make-private": "/mod/posts/{w.post.id}/make-private",
    "/staff/bridge/canned/<int:canned_id>": "/staff/bridge/canned/{w.canned.id}",
    "/admin/categories/<int:category_id>/edit": "/admin/categories/{w.category.id}/edit",
    "/admin/webhooks/<int:endpoint_id>": "/admin/webhooks/{w.endpoint.id}",
    "/admin/webhooks/<int:endpoint_id>/edit": "/admin/webhooks/{w.endpoint.id}/edit",
}


def page_path(rule: str, w: SimpleNamespace) -> str:
    return PAGES[rule].format(w=w)


_API = "JSON API (tests/api)"
EXCLUDED: dict[str, str] = {
    "/api/v1/bridge/cases": _API, "/api/v1/bridge/cases/<int:case_id>": _API, "/api/v1/categories": _API,
    "/api/v1/categories/<int:category_id>": _API, "/api/v1/me": _API, "/api/v1/metrics": _API,
    "/api/v1/openapi.json": _API, "/api/v1/posts/<int:post_id>": _API, "/api/v1/search": _API,
    "/api/v1/threads": _API, "/api/v1/threads/<int:thread_id>": _API,
    "/api/v1/threads/<int:thread_id>/posts": _API, "/api/v1/users": _API, "/api/v1/users/<int:user_id>": _API,
    "/avatars/<int:user_id>.png": "an image", "/avatars/<int:user_id>.svg": "an image",
    "/brand/logo/<name>": "an image", "/favicon.ico": "an image", "/static/<path:filename>": "static files",
    "/brand.css": "a stylesheet", "/embed.js": "a script",
    "/attachments/<int:attachment_id>/<name>": "an uploaded file (a download or an image)",
    "/attachments/<int:attachment_id>/thumbnail": "an image",
    "/attachments/<int:attachment_id>/flag": "needs a file on a post (tests/attachments/test_attachments_quality.py checks it, and the queue listing it)",
    "/embed/w/<key>.json": "JSON for the widget script", "/embed/w/<key>/search": "JSON for the search widget", "/oembed": "oEmbed JSON",
    "/p/<int:post_id>/quote": "JSON for the Quote button", "/u/<username>/card": "JSON for the user card",
    "/composer/mentions": "JSON for the composer's @ suggestions (tests/composer/test_composer_quality.py checks them open)",
    "/composer/hashtags": "JSON for the composer's # suggestions", "/composer/draft": "JSON: the composer's saved draft",
    "/search/quick": "JSON for the search box", "/search/similar": "JSON for the composer's similar questions",
    "/search/click": "a redirect that logs a click (its target is crawled)",
    "/search/similar/open": "a redirect that logs a suggestion opened (its target is crawled)",
    "/c/<slug>/solved.atom": "an Atom feed", "/latest.atom": "an Atom feed",
    "/sitemap.xml": "XML sitemap", "/sitemap-<int:page>.xml": "XML sitemap", "/robots.txt": "plain text",
    "/staff/dashboard/export/<name>.csv": "CSV export",
    "/healthz": "health probe (plain text)", "/readyz": "health probe (plain text)",
    "/sso/<slug>/start": "a redirect to the identity provider", "/sso/logged-out": "a redirect home (the provider's post-logout return)",
    "/sso/<slug>/callback": "the identity provider's answer (tests/identity; its refusal page is checked there)",
    "/sso/link": "needs a pending provider sign-in (tests/identity/test_accessibility.py checks it)",
    "/sso/signed-out": "needs a provider sign-out pending (tests/identity/test_accessibility.py checks it)",
    "/admin/identity/<int:provider_id>": "the form of /admin/identity/new, filled in from a stored provider",
    "/live/token": "JSON: a live subscription token (its states, bell open and new replies, are checked in tests/live/test_live_browser.py)",
    "/live/poll": "JSON: live events since an id", "/live/stream": "an event stream (text/event-stream)",
}

ROLES = ("anonymous", "member", "verified", "staff", "moderator", "admin", "marketer")


def build_world() -> SimpleNamespace:
    """The demo community (tests/security/world.py: one row of everything), a marketer, and the ids
    and tokens the pages need, as plain values: the crawl reads no row while the server writes."""
    built = world.build()
    users = built.users
    users.setdefault("marketer", factories.make_user(role=Role.marketer, display_name="Mara Marketer"))
    threads = db.session.scalars(select(Thread).order_by(Thread.id)).all()
    solved = next(t for t in threads if t.solved_at is not None and not t.is_private and t.reply_count > 1
                  and t.category.visibility == "public")
    private = next(t for t in threads if t.is_private)
    member = users["customer"]
    post = db.session.scalars(select(Post).where(Post.thread_id == built.thread.id).order_by(Post.position)).all()[-1]
    case = db.session.scalars(select(BridgeCase).order_by(BridgeCase.id)).first()
    canned = db.session.scalars(select(BridgeCannedResponse).order_by(BridgeCannedResponse.id)).first()
    quiet = factories.make_thread(category=solved.category, author=users["staff"], title="Printer hums at night")
    w = SimpleNamespace(
        roles={"anonymous": None, **{role: users[key].get_id() for role, key in (
            ("member", "customer"), ("verified", "verified"), ("staff", "staff"), ("moderator", "moderator"),
            ("admin", "admin"), ("marketer", "marketer"))}},
        solved=SimpleNamespace(id=solved.id, slug=solved.slug), private=SimpleNamespace(id=private.id),
        quiet=SimpleNamespace(id=quiet.id, slug=quiet.slug),  # nobody has reported its problem yet
        tag=solved.tags[0].name if solved.tags else "billing",
        category=SimpleNamespace(id=solved.category.id, slug=solved.category.slug),
        post=SimpleNamespace(id=post.id), profile=SimpleNamespace(username=post.author.username),
        suspended=SimpleNamespace(id=users["suspended"].id), widget=SimpleNamespace(id=built.widget.id),
        endpoint=SimpleNamespace(id=built.endpoint.id), canned=SimpleNamespace(id=canned.id),
        csat_thread_id=built.thread.id,
        verify_token=tokens.make_token(tokens.VERIFY_EMAIL, member.id, email=member.email_normalized),
        change_email_token=tokens.make_token(tokens.CHANGE_EMAIL, member.id, email="new-address@example.com"),
        reset_token=tokens.make_token(tokens.RESET_PASSWORD, member.id,
                                      pw=tokens.password_fingerprint(member.password_hash)),
        unsubscribe_token=unsubscribe_token(member.id, ALL_KINDS),
        csat_token=tokens.make_token(CSAT_PURPOSE, built.thread.author_id, thread=built.thread.id, score=4),
        invite_token=issue_invite_link(case).rsplit("/", 1)[1],
    )
    db.session.commit()
    db.session.remove()
    return w


# --- what a crawl saw --------------------------------------------------------------------------


@dataclass
class Visit:
    rule: str
    role: str
    path: str
    status: int
    final_path: str
    content_type: str
    key: str = ""                                  # hash of the normalised body
    axe: dict[str, list[str]] = field(default_factory=dict)   # width -> violations


_VARYING = [
    (re.compile(r'(name="csrf_token"[^>]*value=")[^"]*'), r"\1"),
    (re.compile(r'(name="csrf-token"[^>]*content=")[^"]*'), r"\1"),
    (re.compile(r'(nonce=")[^"]*'), r"\1"),
    (re.compile(r'((?:next|state)=)[^"&]*'), r"\1"),
    (re.compile(r'(name="next"[^>]*value=")[^"]*'), r"\1"),
    # Who is signed in: the header's name and unread count (their pages are otherwise the same).
    (re.compile(r'<a href="/u/[^"]*" class="user-link">.*?</a>', re.S), '<a class="user-link"></a>'),
    (re.compile(r'aria-label="Notifications[^"]*"|<span class="unread-count"[^>]*>[^<]*</span>'), ""),
    # An error page's sentence names the area refused; the page around it is the same.
    (re.compile(r'(<section class="error-page">.*?<h1>[^<]*</h1>).*?(</section>)', re.S), r"\1\2"),
]


def body_key(html: str) -> str:
    """Identical pages up to CSRF tokens, nonces, the sign-in `next`, the signed-in name and an error
    page's sentence share a key: they are checked once."""
    for pattern, replacement in _VARYING:
        html = pattern.sub(replacement, html)
    return hashlib.sha256(html.encode()).hexdigest()[:16]


def compact_axe(violations: list[dict]) -> list[str]:
    out = []
    for v in violations:
        targets = ", ".join(" ".join(node["target"][-1:]) if isinstance(node["target"][-1], str) else str(node["target"])
                            for node in v["nodes"][:3])
        out.append(f"{v['id']} ({v['impact']}, {len(v['nodes'])}x): {targets}")
    return out


# --- the Nu Html Checker: one JVM over every saved page ----------------------------------------


def run_vnu(folder: Path) -> dict[str, list[str]]:
    """File name -> errors ("line N: message [extract]"), for every .html file in `folder`, one JVM."""
    files = sorted(folder.glob("*.html"))
    result = subprocess.run([shutil.which("java"), "-jar", str(VNU), "--errors-only", "--format", "json", "--stdout",
                             *map(str, files)], capture_output=True, text=True, timeout=240)
    errors: dict[str, list[str]] = {file.name: [] for file in files}
    for message in json.loads(result.stdout or "{}").get("messages", []):
        name = Path(message.get("url", "").replace("file:", "")).name
        extract = " ".join(message.get("extract", "").split())[:100]
        errors.setdefault(name, []).append(f"line {message.get('lastLine', '?')}: {message.get('message', '')} [{extract}]")
    return errors


_NUMBERS = re.compile(r"\d[\d:.T+-]*")


def axe_kind(violation: str) -> str:
    return violation.split(": ", 1)[0]


def vnu_kind(error: str) -> str:
    return error.split(": ", 1)[-1].rsplit(" [", 1)[0]


def grouped(problems: list[tuple[str, str]], kind_of: Callable[[str], str]) -> str:
    """[(where, problem)] as one line per kind of problem (numbers folded): count, pages, an example."""
    kinds: dict[str, list[tuple[str, str]]] = {}
    for where, problem in problems:
        kinds.setdefault(_NUMBERS.sub("#", kind_of(problem))[:160], []).append((where, problem))
    lines = []
    for kind, seen in sorted(kinds.items(), key=lambda item: -len(item[1])):
        pages = sorted({where for where, _ in seen})
        lines.append(f"{len(seen)}x on {len(pages)} pages: {kind}\n    e.g. {pages[0]}: {seen[0][1][:240]}")
    return "\n".join(lines)
