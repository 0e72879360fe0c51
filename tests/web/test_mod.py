"""Moderation routes: who may use them, what the pages show, and how refusals answer."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from community import policies
from community.extensions import db
from community.models import AuditEntry, Flag, Post, Role, Thread, User, utcnow
from community.services import moderation, spam

pytestmark = pytest.mark.backends("sqlite")

ROLES = ["anonymous", "unverified", "customer", "verified_customer", "marketer", "staff", "moderator", "admin", "banned_staff"]
MODERATORS = {"staff", "moderator", "admin"}


def _person(role, make_user):
    if role == "anonymous":
        return None
    if role == "banned_staff":
        user = make_user(role=Role.staff)
        user.is_banned = True
        db.session.commit()
        return user
    return {
        "unverified": lambda: make_user(email_verified=False),
        "customer": lambda: make_user(),
        "verified_customer": lambda: make_user(verified_customer=True),
    }.get(role, lambda: make_user(role=Role(role)))()


@pytest.mark.parametrize("role", ROLES)
def test_can_moderate_matrix(role, make_user):
    assert policies.can_moderate(_person(role, make_user)) is (role in MODERATORS)


@pytest.fixture
def world(make_user, make_thread, make_post, make_category):
    author = make_user(username="writer")
    thread = make_thread(author=author, title="Router keeps rebooting")
    reply = make_post(thread=thread, author=make_user(), body="Have you tried a new cable?")
    other = make_thread(title="Second thread")
    return {"thread": thread, "reply": reply, "other": other, "author": author, "category": make_category()}


def _routes(w):
    t, r, o, a, c = w["thread"].id, w["reply"].id, w["other"].id, w["author"].id, w["category"].id
    return [
        ("GET", "/mod/queue", {}),
        ("GET", "/staff/audit", {}),
        ("GET", f"/mod/users/{a}", {}),
        ("POST", f"/mod/posts/{r}/hide", {}),
        ("POST", f"/mod/posts/{r}/unhide", {}),
        ("POST", f"/mod/posts/{r}/dismiss", {}),
        ("POST", f"/mod/posts/{r}/approve", {}),
        ("POST", f"/mod/threads/{t}/lock", {}),
        ("POST", f"/mod/threads/{t}/unlock", {}),
        ("POST", f"/mod/threads/{t}/pin", {}),
        ("POST", f"/mod/threads/{t}/unpin", {}),
        ("GET", f"/mod/threads/{t}/move", {}),
        ("POST", f"/mod/threads/{t}/move", {"category": c}),
        ("GET", f"/mod/threads/{o}/merge", {}),
        ("GET", f"/mod/posts/{r}/make-private", {}),
        ("POST", f"/mod/users/{a}/suspend", {"days": "2", "reason": "calm down"}),
        ("POST", f"/mod/users/{a}/unsuspend", {}),
        ("POST", f"/mod/users/{a}/ban", {"reason": "spam"}),
        ("POST", f"/mod/users/{a}/unban", {}),
        ("POST", f"/mod/posts/{r}/delete", {}),
        ("POST", f"/mod/threads/{o}/merge", {"target": t}),
    ]


@pytest.mark.parametrize("role, expected", [("staff", "ok"), ("customer", 403), ("anonymous", "sign-in")])
def test_every_staff_route_admits_staff_refuses_customers_and_sends_anonymous_to_sign_in(
    role, expected, client, auth, make_user, world
):
    person = _person(role, make_user)
    if person:
        auth.sign_in(person)
    for method, url, data in _routes(world):
        response = client.open(url, method=method, data=data)
        where = f"{method} {url}"
        if expected == "ok":
            assert response.status_code in (200, 302), where
        elif expected == 403:
            assert response.status_code == 403, where
        else:
            assert response.status_code == 302 and "/sign-in" in response.headers["Location"], where
    audited = db.session.scalar(select(func.count()).select_from(AuditEntry))
    assert (audited > 0) is (expected == "ok")


def test_staff_routes_need_a_csrf_token(app, client, auth, make_user, world):
    app.config["WTF_CSRF_ENABLED"] = True
    auth.sign_in(make_user(role=Role.staff))
    for method, url, data in _routes(world):
        if method == "POST":
            assert client.post(url, data=data).status_code == 400, url
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)) == 0
    assert not db.session.get(Thread, world["thread"].id).is_locked


def test_flag_form_then_second_flag_is_a_409(client, auth, make_user, world):
    auth.sign_in(make_user())
    reply = world["reply"]
    page = client.get(f"/p/{reply.id}/flag")
    assert page.status_code == 200 and "Needs staff attention" in page.get_data(as_text=True)
    assert client.post(f"/p/{reply.id}/flag", data={"reason": "spam", "note": "ad"}).status_code == 302
    again = client.post(f"/p/{reply.id}/flag", data={"reason": "abuse"})
    assert again.status_code == 409 and "already flagged" in again.get_data(as_text=True)
    as_json = client.post(f"/p/{reply.id}/flag", json={"reason": "spam"})
    assert as_json.status_code == 409 and as_json.get_json()["error"]["status"] == 409
    assert db.session.scalar(select(func.count()).select_from(Flag)) == 1


def test_flag_over_json(client, auth, make_user, world):
    auth.sign_in(make_user())
    bad = client.post(f"/p/{world['reply'].id}/flag", json={"reason": "nope"})
    assert bad.status_code == 422 and "reason" in bad.get_json()["error"]["fields"]
    assert client.post(f"/p/{world['reply'].id}/flag", json={"reason": "abuse", "note": 5}).status_code == 201
    assert db.session.scalar(select(Flag.note)) == "5"


def test_flag_without_a_reason_keeps_the_note(client, auth, make_user, world):
    auth.sign_in(make_user())
    response = client.post(f"/p/{world['reply'].id}/flag", data={"note": "my careful note"})
    text = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Choose why you are flagging" in text and "my careful note" in text


def test_flagging_your_own_post_is_refused(client, auth, world):
    opening = db.session.scalar(select(Post.id).where(Post.thread_id == world["thread"].id, Post.position == 1))
    auth.sign_in(world["author"])
    assert client.post(f"/p/{opening}/flag", data={"reason": "spam"}).status_code == 403


def test_queue_shows_counts_reasons_and_the_post_in_context(client, auth, make_user, world):
    reply = world["reply"]
    moderation.flag_post(make_user(), reply.id, "spam", "selling cables")
    moderation.flag_post(make_user(), reply.id, "spam")
    auth.sign_in(make_user(role=Role.moderator))
    text = client.get("/mod/queue").get_data(as_text=True)
    assert "Router keeps rebooting" in text
    assert f"/p/{reply.id}" in text
    assert "Have you tried a new cable?" in text
    assert reply.author.display_name in text
    assert "2 flags" in text and "Spam (2)" in text and "selling cables" in text
    response = client.post(f"/mod/posts/{reply.id}/hide", data={"reason": "ad", "next": "/mod/queue"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/mod/queue")
    assert "Nothing waiting" in client.get("/mod/queue").get_data(as_text=True)


def test_thread_page_shows_a_placeholder_for_hidden_posts(client, auth, make_user, world):
    moderation.set_post_hidden(make_user(role=Role.staff), world["reply"].id, True)
    url = f"/t/{world['thread'].id}"
    page = client.get(url, follow_redirects=True).get_data(as_text=True)
    assert "Post hidden." in page and "new cable" not in page
    auth.sign_in(world["reply"].author)
    assert "new cable" in client.get(url, follow_redirects=True).get_data(as_text=True)


def test_pending_posts_show_only_to_author_with_a_notice(client, auth, make_user, world):
    spam.add_watched_word(make_user(role=Role.admin), "casino")
    poster = make_user()
    auth.sign_in(poster)
    response = client.post(f"/t/{world['thread'].id}/reply", data={"body": "Best Casino in town"}, follow_redirects=True)
    text = response.get_data(as_text=True)
    assert "waiting for a moderator" in text and "Awaiting review" in text and "Best Casino" in text
    auth.sign_out()
    assert "Best Casino" not in client.get(f"/t/{world['thread'].id}", follow_redirects=True).get_data(as_text=True)
    held = db.session.scalar(select(Post).where(Post.is_pending.is_(True)))
    assert client.get(f"/p/{held.id}").status_code == 404


def test_merged_thread_url_redirects_to_the_target(client, make_user, world):
    moderation.merge_threads(make_user(role=Role.staff), world["other"].id, world["thread"].id)
    response = client.get(f"/t/{world['other'].id}-second-thread")
    assert response.status_code == 301
    assert response.headers["Location"].endswith(f"/t/{world['thread'].id}-{world['thread'].slug}")


def test_merge_form_keeps_typed_values_on_error(client, auth, make_user, world):
    auth.sign_in(make_user(role=Role.staff))
    response = client.post(f"/mod/threads/{world['other'].id}/merge", data={"target": "99999", "reason": "dupe of x"})
    text = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "no thread with that number" in text and "99999" in text and "dupe of x" in text


def test_suspend_form_errors_are_422_and_keep_the_reason(client, auth, make_user, world):
    auth.sign_in(make_user(role=Role.staff))
    response = client.post(f"/mod/users/{world['author'].id}/suspend", data={"days": "forever", "reason": "be nice"})
    text = response.get_data(as_text=True)
    assert response.status_code == 422 and "Enter a number of days" in text and "be nice" in text


def test_suspended_member_sees_the_reason_when_trying_to_post(client, auth, make_user, world):
    moderation.suspend_user(make_user(role=Role.staff), world["author"].id, 2, "Cooling-off period")
    auth.sign_in(world["author"])
    response = client.post(f"/t/{world['thread'].id}/reply", data={"body": "hi"})
    assert response.status_code == 403 and "Cooling-off period" in response.get_data(as_text=True)


def test_banned_member_is_signed_out(client, auth, make_user, world):
    auth.sign_in(world["author"])
    assert client.get("/settings").status_code == 200
    moderation.set_banned(make_user(role=Role.staff), world["author"].id, True, "spam")
    assert client.get("/settings").status_code == 302


def test_watched_words_page_is_admin_only_and_validates(client, auth, make_user):
    auth.sign_in(make_user(role=Role.moderator))
    assert client.get("/mod/watched-words").status_code == 403
    auth.sign_in(make_user(role=Role.admin))
    bad = client.post("/mod/watched-words", data={"word": "two words"})
    assert bad.status_code == 422 and "two words" in bad.get_data(as_text=True)
    assert client.post("/mod/watched-words", data={"word": "Casino"}).status_code == 302
    assert "casino" in client.get("/mod/watched-words").get_data(as_text=True)
    assert client.post("/mod/watched-words", data={"word": "casino"}).status_code == 409


# --- the audit log page -------------------------------------------------------------------------


def _entry(actor, action, target_type="post", days_ago=0):
    db.session.add(AuditEntry(actor_id=actor.id, action=action, target_type=target_type, target_id=1, before={}, after={},
                              created_at=utcnow() - timedelta(days=days_ago)))


def test_audit_page_filters_by_actor_action_target_type_and_dates(client, auth, make_user):
    alice, bob = make_user(role=Role.staff, username="alice"), make_user(role=Role.staff, username="bob")
    _entry(alice, "post.hide")
    _entry(bob, "thread.lock", "thread")
    _entry(alice, "user.ban", "user", days_ago=10)
    db.session.commit()
    auth.sign_in(alice)

    def actions(**args):
        text = client.get("/staff/audit", query_string=args).get_data(as_text=True)
        return sorted(a for a in ("post.hide", "thread.lock", "user.ban") if f"<code>{a}</code>" in text)

    assert actions() == ["post.hide", "thread.lock", "user.ban"]
    assert actions(actor="alice") == ["post.hide", "user.ban"]
    assert actions(action="thread.lock") == ["thread.lock"]
    assert actions(target_type="user") == ["user.ban"]
    since = (utcnow() - timedelta(days=2)).date().isoformat()
    assert actions(since=since) == ["post.hide", "thread.lock"]
    assert actions(until=since) == ["user.ban"]
    bad = client.get("/staff/audit", query_string={"since": "yesterday"})
    assert bad.status_code == 422 and "Use a date like" in bad.get_data(as_text=True)


def test_audit_page_paginates_and_is_staff_only(app, client, auth, make_user):
    app.config["AUDIT_PER_PAGE"] = 2
    staff = make_user(role=Role.staff)
    for n in range(5):
        _entry(staff, f"test.action{n}")
    db.session.commit()
    auth.sign_in(make_user())
    assert client.get("/staff/audit").status_code == 403
    auth.sign_in(staff)
    first, last = client.get("/staff/audit").get_data(as_text=True), client.get("/staff/audit?page=3").get_data(as_text=True)
    assert "<code>test.action4</code>" in first and "<code>test.action0</code>" not in first
    assert "<code>test.action0</code>" in last and "<code>test.action4</code>" not in last
    assert client.get("/staff/audit?page=9").status_code == 404


def test_suspended_member_sees_the_reason_at_sign_in(client, make_user, world):
    moderation.suspend_user(make_user(role=Role.staff), world["author"].id, 2, "Cooling-off period")
    response = client.post("/sign-in", data={"email": world["author"].email, "password": "correct horse battery staple"})
    assert response.status_code == 403
    assert "suspended until" in response.get_data(as_text=True) and "Cooling-off period" in response.get_data(as_text=True)
