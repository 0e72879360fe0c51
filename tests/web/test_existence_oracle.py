"""No existence oracle (issue 22, item 3): to someone who may not read it, a category, thread or
post that exists answers exactly as one that does not, on every route with an argument.

Every GET rule of app.url_map with an argument is either in ROUTES (a value per argument that
exists but is closed to the viewer, and one that does not exist) or in EXEMPT with the reason;
a new rule nobody classified fails test_every_get_rule_with_an_argument_is_classified. For each
covered rule, anonymous visitors, a signed-in member whose email is not yet confirmed and a
customer whose account is not verified get the same status, the same body and the same redirect
target (the requested path normalised) for both values. Attachments answer as their posts do."""
from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Callable
from urllib.parse import quote, urlsplit

import pytest

from community.extensions import db
from community.models import (
    BridgeCannedResponse, CategorySlug, CsatSurvey, Role, Tag, Visibility, WebhookEndpoint, utcnow,
)
from tests import factories
from tests.api.conftest import issue_token, make_bridge_case
from tests.widgets.helpers import make_widget

MISSING_ID = 987654
VIEWERS = ("anonymous", "member", "customer")


@dataclass(frozen=True)
class Case:
    """Argument values that exist but are closed to `viewers`; `what` names them in failures."""

    what: str
    values: Callable[[SimpleNamespace], dict]
    viewers: tuple[str, ...] = VIEWERS


@dataclass(frozen=True)
class Route:
    forbidden: tuple[Case, ...]
    missing: dict = field(default_factory=dict)
    api: bool = False


def _thread_cases(slugged: bool = False) -> tuple[Case, ...]:
    def of(name):
        return lambda w: {"thread_id": getattr(w, name).id, **({"slug": getattr(w, name).slug} if slugged else {})}

    return (
        Case("thread in a staff-only category", of("staff_thread")),
        Case("thread for verified customers", of("customer_thread")),
        Case("thread for members", of("member_thread"), ("anonymous",)),
        Case("someone else's private thread", of("private_thread")),
        Case("deleted thread", of("deleted_thread")),
        Case("thread merged from a staff-only category into a public one", of("merged_from_staff")),
        Case("thread merged into a staff-only thread", of("merged_into_staff")),
    )


def _post_cases() -> tuple[Case, ...]:
    return (
        Case("post in a staff-only category", lambda w: {"post_id": w.staff_thread.last_post_id}),
        Case("post for verified customers", lambda w: {"post_id": w.customer_thread.last_post_id}),
        Case("post for members", lambda w: {"post_id": w.member_thread.last_post_id}, ("anonymous",)),
        Case("post in someone else's private thread", lambda w: {"post_id": w.private_thread.last_post_id}),
    )


def _category_cases() -> tuple[Case, ...]:
    return (
        Case("staff-only category", lambda w: {"slug": w.staff_room.slug}),
        Case("category for verified customers", lambda w: {"slug": w.customer_room.slug}),
        Case("category for members", lambda w: {"slug": w.member_room.slug}, ("anonymous",)),
        Case("old slug of a staff-only category", lambda w: {"slug": "old-staff-room"}),
        Case("deleted category", lambda w: {"slug": w.deleted_room.slug}),
    )


def _one(what: str, values: Callable[[SimpleNamespace], dict]) -> tuple[Case, ...]:
    return (Case(what, values),)


def _attachment_cases() -> tuple[Case, ...]:
    def on(name):
        return lambda w: {"attachment_id": _attachment_of(getattr(w, name)), "name": "shot.png"}

    return (
        Case("file in a staff-only category", on("staff_thread")),
        Case("file for verified customers", on("customer_thread")),
        Case("file for members", on("member_thread"), ("anonymous",)),
        Case("file in someone else's private thread", on("private_thread")),
        Case("file in a deleted thread", on("deleted_thread")),
        Case("someone else's upload not yet on a post", lambda w: {"attachment_id": _attachment_of(None, w.author), "name": "shot.png"}),
    )


def _attachment_of(thread, uploader=None) -> int:
    """An attachment row on the thread's opening post (the file itself is never reached)."""
    from community.models import Attachment

    row = Attachment(
        uploader_id=(uploader or thread.author).id, post_id=thread.last_post_id if thread else None, name="shot.png",
        is_image=True, content_type="image/png", size_bytes=1, original_size_bytes=1, sha256="0" * 64,
        storage_key=f"attachments/oracle{uuid.uuid4().hex}.png",
    )
    db.session.add(row)
    db.session.commit()
    return row.id


THREAD = dict(missing={"thread_id": MISSING_ID})
POST = dict(missing={"post_id": MISSING_ID})
CATEGORY = dict(missing={"slug": "no-such-room"})

ROUTES: dict[str, Route] = {
    # forum pages and their feeds
    "/t/<int:thread_id>": Route(_thread_cases(), **THREAD),
    "/t/<int:thread_id>/solution": Route(_thread_cases(), **THREAD),
    "/t/<int:thread_id>-<slug>": Route(_thread_cases(slugged=True), missing={"thread_id": MISSING_ID, "slug": "a-title"}),
    "/c/<slug>": Route(_category_cases(), **CATEGORY),
    "/c/<slug>/new": Route(_category_cases(), **CATEGORY),
    "/c/<slug>/solved.atom": Route(_category_cases(), **CATEGORY),
    "/tag/<name>": Route((
        Case("tag only a staff-only thread carries", lambda w: {"name": "salary"}),
        Case("tag only someone else's private thread carries", lambda w: {"name": "my-invoice"}),
        Case("tag only threads for members carry", lambda w: {"name": "lounge"}, ("anonymous",)),
    ), missing={"name": "no-such-tag"}),
    "/p/<int:post_id>": Route(_post_cases(), **POST),
    "/p/<int:post_id>/edit": Route(_post_cases(), **POST),
    "/p/<int:post_id>/quote": Route(_post_cases(), **POST),
    "/p/<int:post_id>/revisions": Route(_post_cases(), **POST),
    "/p/<int:post_id>/flag": Route(_post_cases(), **POST),
    "/csat/<int:thread_id>": Route(_one("someone else's survey on a staff thread", lambda w: {"thread_id": w.staff_thread.id}), **THREAD),
    "/embed/thread/<key>": Route(_one("staff-only thread", lambda w: {"key": w.staff_thread.id}), missing={"key": MISSING_ID}),
    "/embed/w/<key>.json": Route(_one("switched-off widget", lambda w: {"key": w.widget.id}), missing={"key": MISSING_ID}),
    "/embed/w/<key>/frame": Route(_one("switched-off widget", lambda w: {"key": w.widget.id}), missing={"key": MISSING_ID}),
    "/embed/w/<key>/search": Route(_one("switched-off widget", lambda w: {"key": w.widget.id}), missing={"key": MISSING_ID}),
    # attachments: readable exactly when their post is
    "/attachments/<int:attachment_id>/<name>": Route(_attachment_cases(), missing={"attachment_id": MISSING_ID, "name": "shot.png"}),
    "/attachments/<int:attachment_id>/thumbnail": Route(_attachment_cases(), missing={"attachment_id": MISSING_ID}),
    "/attachments/<int:attachment_id>/flag": Route(_attachment_cases(), missing={"attachment_id": MISSING_ID}),
    # members
    "/u/<username>": Route(_one("deleted account", lambda w: {"username": w.deleted_user.username}), missing={"username": "nobody-here"}),
    "/u/<username>/card": Route(_one("deleted account", lambda w: {"username": w.deleted_user.username}), missing={"username": "nobody-here"}),
    "/avatars/<int:user_id>.png": Route(_one("deleted account", lambda w: {"user_id": w.deleted_user.id}), missing={"user_id": MISSING_ID}),
    # the API
    "/api/v1/threads/<int:thread_id>": Route(_thread_cases(), **THREAD, api=True),
    "/api/v1/threads/<int:thread_id>/posts": Route(_thread_cases(), **THREAD, api=True),
    "/api/v1/posts/<int:post_id>": Route(_post_cases(), **POST, api=True),
    "/api/v1/categories/<int:category_id>": Route((
        Case("staff-only category", lambda w: {"category_id": w.staff_room.id}),
        Case("category for verified customers", lambda w: {"category_id": w.customer_room.id}),
        Case("deleted category", lambda w: {"category_id": w.deleted_room.id}),
    ), missing={"category_id": MISSING_ID}, api=True),
    "/api/v1/users/<int:user_id>": Route(_one("deleted account", lambda w: {"user_id": w.deleted_user.id}), missing={"user_id": MISSING_ID}, api=True),
    "/api/v1/bridge/cases/<int:case_id>": Route(_one("X bridge case", lambda w: {"case_id": w.case.id}), missing={"case_id": MISSING_ID}, api=True),
    # staff pages: refused before any lookup, so the answer cannot depend on the id
    "/mod/threads/<int:thread_id>/move": Route(_one("staff-only thread", lambda w: {"thread_id": w.staff_thread.id}), **THREAD),
    "/mod/threads/<int:thread_id>/merge": Route(_one("staff-only thread", lambda w: {"thread_id": w.staff_thread.id}), **THREAD),
    "/mod/posts/<int:post_id>/make-private": Route(_one("staff-only post", lambda w: {"post_id": w.staff_thread.last_post_id}), **POST),
    "/mod/users/<int:user_id>": Route(_one("an account", lambda w: {"user_id": w.author.id}), missing={"user_id": MISSING_ID}),
    "/admin/categories/<int:category_id>/edit": Route(_one("staff-only category", lambda w: {"category_id": w.staff_room.id}), missing={"category_id": MISSING_ID}),
    "/admin/webhooks/<int:endpoint_id>": Route(_one("webhook endpoint", lambda w: {"endpoint_id": w.endpoint.id}), missing={"endpoint_id": MISSING_ID}),
    "/admin/webhooks/<int:endpoint_id>/edit": Route(_one("webhook endpoint", lambda w: {"endpoint_id": w.endpoint.id}), missing={"endpoint_id": MISSING_ID}),
    "/widgets/<int:widget_id>": Route(_one("widget", lambda w: {"widget_id": w.widget.id}), missing={"widget_id": MISSING_ID}),
    "/staff/bridge/canned/<int:canned_id>": Route(_one("canned response", lambda w: {"canned_id": w.canned.id}), missing={"canned_id": MISSING_ID}),
}

EXEMPT: dict[str, str] = {
    "/static/<path:filename>": "static files: nothing in them is gated",
    "/brand/logo/<name>": "the public logo; its file name is a content hash",
    "/sitemap-<int:page>.xml": "a page number of the public sitemap, the same for every visitor",
    "/staff/dashboard/export/<name>.csv": "a report name from a fixed list, behind the staff guard; no stored object",
    "/avatars/<int:user_id>.svg": "accounts are not gated: a deleted one still draws 'Former member' initials on its old posts",
    "/csat/r/<token>": "signed, expiring token: unguessable",
    "/join/<token>": "random invite token: unguessable",
    "/join/<token>/thread": "random invite token: unguessable",
    "/join/<token>/x": "random invite token: unguessable",
    "/notifications/unsubscribe/<token>": "signed token: unguessable",
    "/password/reset/<token>": "signed, expiring token: unguessable",
    "/settings/email/confirm/<token>": "signed, expiring token: unguessable",
    "/verify-email/<token>": "signed, expiring token: unguessable",
    "/sso/<slug>/start": "an identity provider's slug, the same for every visitor (the sign-in page lists them)",
    "/sso/<slug>/callback": "an identity provider's slug, the same for every visitor (the sign-in page lists them)",
    "/admin/identity/<int:provider_id>": "behind the admin guard, refused before any lookup; providers are not per-member objects",
}


def _rules_with_arguments(app) -> set[str]:
    return {rule.rule for rule in app.url_map.iter_rules() if rule.arguments and "GET" in rule.methods}


def test_every_get_rule_with_an_argument_is_classified(app):
    rules = _rules_with_arguments(app)
    unclassified = rules - set(ROUTES) - set(EXEMPT)
    assert not unclassified, f"add these rules to ROUTES (or EXEMPT, with a reason): {sorted(unclassified)}"
    assert not (set(ROUTES) | set(EXEMPT)) - rules, "ROUTES or EXEMPT name rules that no longer exist"
    assert not set(ROUTES) & set(EXEMPT)


# --- the world: one of each thing a viewer may not read --------------------------------------


@pytest.fixture
def world(app):
    author = factories.make_user()
    public = factories.make_category(name="Public")
    staff_room = factories.make_category(name="Staff room", visibility=Visibility.staff)
    customer_room = factories.make_category(name="Customers", visibility=Visibility.customers)
    member_room = factories.make_category(name="Members", visibility=Visibility.members)
    deleted_room = factories.make_category(name="Closed room")
    deleted_room.deleted_at = utcnow()
    db.session.add(CategorySlug(slug="old-staff-room", category_id=staff_room.id))
    public_thread = factories.make_thread(category=public, author=author, title="Printer jams")
    w = SimpleNamespace(
        author=author, public=public, staff_room=staff_room, customer_room=customer_room, member_room=member_room,
        deleted_room=deleted_room, public_thread=public_thread,
        staff_thread=factories.make_thread(category=staff_room, author=author, title="Salary bands"),
        customer_thread=factories.make_thread(category=customer_room, author=author, title="Customer pricing"),
        member_thread=factories.make_thread(category=member_room, author=author, title="Members lounge"),
        private_thread=factories.make_thread(category=public, author=author, title="My invoice", is_private=True),
        deleted_thread=factories.make_thread(category=public, author=author, title="Gone now"),
        merged_from_staff=factories.make_thread(category=staff_room, author=author, title="Old staff note"),
        merged_into_staff=factories.make_thread(category=public, author=author, title="Moved away"),
    )
    w.deleted_thread.deleted_at = utcnow()
    for thread, name in ((w.staff_thread, "salary"), (w.private_thread, "my-invoice"), (w.member_thread, "lounge")):
        thread.tags = [Tag(name=name)]
    for source, target in ((w.merged_from_staff, public_thread), (w.merged_into_staff, w.staff_thread)):
        source.deleted_at, source.merged_into_id = utcnow(), target.id
    db.session.add(CsatSurvey(thread_id=w.staff_thread.id, user_id=author.id))
    w.deleted_user = factories.make_user()
    w.deleted_user.deleted_at, w.deleted_user.username = utcnow(), f"deleted-{w.deleted_user.id}"
    w.endpoint = WebhookEndpoint(url="http://127.0.0.1:9/hook", secret="s" * 32, events=["thread.created"], enabled=True)
    w.canned = BridgeCannedResponse(title="On it", body="We are looking into it.")
    db.session.add_all([w.endpoint, w.canned])
    db.session.commit()
    w.widget = make_widget(enabled=False)
    w.case = make_bridge_case()
    return w


@pytest.fixture
def viewers(app):
    """Who asks: None signed out, else the user and an API token of theirs."""
    member = factories.make_user(email_verified=False)
    customer = factories.make_user()
    return {
        "anonymous": None,
        "member": (member, issue_token(member)),
        "customer": (customer, issue_token(customer)),
    }


def _path(rule: str, values: dict) -> str:
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", lambda m: str(values[m.group(1)]), rule)


def _ask(client, auth, who, path: str, api: bool):
    auth.sign_out()  # a fresh session each time: no flash message carried over from the last ask
    if who is None:
        return client.get(path)
    user, token = who
    if api:
        return client.get(path, headers={"Authorization": f"Bearer {token}"})
    auth.sign_in(user)
    return client.get(path)


def _normalised(response, path: str) -> tuple[int, str, str]:
    """Status, body and redirect target with the requested path (in every spelling) replaced."""
    text, location = response.get_data(as_text=True), response.headers.get("Location", "")
    for spelling in sorted({path, quote(path, safe=""), quote(path), quote(path, safe="/")}, key=len, reverse=True):
        text, location = text.replace(spelling, "<path>"), location.replace(spelling, "<path>")
    return response.status_code, text, urlsplit(location)._replace(scheme="", netloc="").geturl()


# One test per rule, every (closed thing, viewer) pair inside it: the world is seeded once a rule.
COVERED = [pytest.param(rule, id=rule) for rule in ROUTES]


@pytest.mark.parametrize("rule", COVERED)
def test_closed_and_missing_answer_alike(client, auth, world, viewers, rule):
    route, differences, asked = ROUTES[rule], [], 0
    missing_path = _path(rule, route.missing)
    for case in route.forbidden:
        closed_path = _path(rule, case.values(world))
        for viewer in case.viewers:
            closed = _normalised(_ask(client, auth, viewers[viewer], closed_path, route.api), closed_path)
            missing = _normalised(_ask(client, auth, viewers[viewer], missing_path, route.api), missing_path)
            asked += 1
            if closed != missing or closed[0] < 300:  # a closed thing is never shown
                differences.append(f"{case.what} as {viewer}: {closed_path} {closed[0]} vs {missing_path} {missing[0]}")
    assert asked > 0 and differences == [], differences


# --- what the one answer says ------------------------------------------------------------------


def test_signed_in_member_gets_one_404_that_does_not_say_which_case(client, auth, world, viewers):
    auth.sign_in(viewers["customer"][0])
    page = client.get(f"/t/{world.customer_thread.id}")
    assert page.status_code == 404
    html = page.get_data(as_text=True)
    assert "in an area your account can" in html and "verified customers open once your account is verified" in html
    assert "Customer pricing" not in html and "only for verified customers" not in html


def test_signed_out_visitor_is_offered_sign_in_and_comes_back_to_the_thread(client, world):
    thread = world.member_thread  # a link from an email, say
    path = f"/t/{thread.id}-{thread.slug}"
    page = client.get(path)
    assert page.status_code == 404 and "Members lounge" not in page.get_data(as_text=True)
    sign_in = re.search(r'href="([^"]*/sign-in\?next=[^"]*)"', page.get_data(as_text=True)).group(1).replace("&amp;", "&")
    assert client.get(sign_in).status_code == 200
    member = factories.make_user(email="reader@example.com")
    response = client.post(sign_in, data={"email": member.email, "password": factories.DEFAULT_PASSWORD,
                                          "next": urlsplit(sign_in).query.split("next=", 1)[1].replace("%2F", "/")})
    assert response.status_code == 302 and urlsplit(response.location).path == path
    landed = client.get(response.location)
    assert landed.status_code == 200 and "Members lounge" in landed.get_data(as_text=True)


def test_sign_in_next_never_leaves_the_site(client, world):
    member = factories.make_user(email="careful@example.com")
    for target in ("//evil.example/t/1", "https://evil.example/", "/\\evil.example"):
        response = client.post(f"/sign-in?next={quote(target, safe='')}",
                               data={"email": member.email, "password": factories.DEFAULT_PASSWORD, "next": target})
        assert response.status_code == 302 and urlsplit(response.location).netloc in ("", "localhost"), target
        client.post("/sign-out")


def test_api_answers_one_404_body_for_closed_and_missing(client, world, viewers):
    token = viewers["customer"][1]
    headers = {"Authorization": f"Bearer {token}"}
    closed = client.get(f"/api/v1/threads/{world.staff_thread.id}", headers=headers)
    missing = client.get(f"/api/v1/threads/{MISSING_ID}", headers=headers)
    assert closed.status_code == missing.status_code == 404 and closed.json == missing.json
    assert closed.json["error"]["code"] == "not_found"
    assert client.get(f"/api/v1/threads?category={world.staff_room.id}", headers=headers).json == \
        client.get(f"/api/v1/threads?category={MISSING_ID}", headers=headers).json


def test_a_reply_to_a_closed_or_missing_thread_answers_alike(client, auth, world, viewers):
    auth.sign_in(viewers["customer"][0])
    closed = client.post(f"/t/{world.staff_thread.id}/reply", data={"body": "Hello there"})
    missing = client.post(f"/t/{MISSING_ID}/reply", data={"body": "Hello there"})
    assert closed.status_code == missing.status_code == 404
    assert _normalised(closed, f"/t/{world.staff_thread.id}/reply")[1] == _normalised(missing, f"/t/{MISSING_ID}/reply")[1]


# --- readers and staff are unaffected ----------------------------------------------------------


def test_readers_still_read_and_follow_merges(client, auth, world):
    auth.sign_in(factories.make_user(role=Role.staff))
    assert client.get(f"/t/{world.staff_thread.id}-{world.staff_thread.slug}").status_code == 200
    assert client.get(f"/c/{world.staff_room.slug}").status_code == 200
    assert client.get("/c/old-staff-room").location.endswith(f"/c/{world.staff_room.slug}")
    merged = client.get(f"/t/{world.merged_into_staff.id}")
    assert merged.status_code == 301 and merged.location.endswith(f"/t/{world.staff_thread.id}-{world.staff_thread.slug}")
    auth.sign_in(factories.make_user(verified_customer=True))
    assert client.get(f"/t/{world.customer_thread.id}-{world.customer_thread.slug}").status_code == 200
    auth.sign_out()
    # A public thread's old URL still redirects for everyone who may read where it came from.
    old_public = factories.make_thread(category=world.public, title="Old question")
    old_public.deleted_at, old_public.merged_into_id = utcnow(), world.public_thread.id
    db.session.commit()
    assert client.get(f"/t/{old_public.id}").status_code == 301


def test_a_404_for_closed_content_is_not_page_cached_and_opens_once_readable(app, client, world):
    app.config["PAGE_CACHE_ENABLED"] = True
    path = f"/t/{world.member_thread.id}-{world.member_thread.slug}"
    for _ in range(2):
        response = client.get(path)
        assert response.status_code == 404 and response.headers.get("X-Page-Cache") != "hit"
    world.member_room.visibility = Visibility.public
    db.session.commit()
    assert client.get(path).status_code == 200


def test_new_thread_form_in_closed_category_answers_as_missing(client, auth, world, viewers):
    """The composer of a category goes through the same lookup: no 403 naming the audience."""
    auth.sign_in(viewers["customer"][0])
    page = client.get(f"/c/{world.staff_room.slug}/new")
    assert page.status_code == 404 and "only for staff" not in page.get_data(as_text=True)
