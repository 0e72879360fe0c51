"""Answer, lifecycle and reaction routes: HTML redirects, JSON for JSON clients, refusals, CSRF,
the thread page (verified answer first, badges) and its JSON-LD."""
import json
import re

import pytest
from sqlalchemy import func, select

from community.extensions import db
from community.models import AcceptedAnswer, AuditEntry, Follow, HelpfulVote, ThreadState, VerifiedAnswer
from community.services import answers, posts, threads

JSON = {"Accept": "application/json"}


@pytest.fixture
def world(make_user, make_category):
    category = make_category()
    asker, helper = make_user(display_name="Asker Ann"), make_user(display_name="Helper Hal")
    staff = make_user(role="staff", display_name="Staff Sam")
    thread = threads.create_thread(asker, category.id, "Router </script><b>x</b> & reboot", "It reboots.")
    first = posts.create_reply(helper, thread.id, "Update the firmware.")
    second = posts.create_reply(staff, thread.id, "Replace the power supply.")
    return type("World", (), dict(category=category, asker=asker, helper=helper, staff=staff, thread=thread,
                                   first=first, second=second))


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _jsonld(html: str) -> dict | None:
    found = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    return json.loads(found.group(1)) if found else None


# --- accept ---------------------------------------------------------------------------------------


def test_asker_accepts_with_a_form_then_with_json(client, auth, world):
    auth.sign_in(world.asker)
    response = client.post(f"/t/{world.thread.id}/accept", data={"post_id": world.first.id})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/p/{world.first.id}")
    response = client.post(f"/t/{world.thread.id}/accept", data={"post_id": world.second.id}, headers=JSON)
    assert response.status_code == 200
    assert response.json["accepted_post_id"] == world.second.id and response.json["state"] == "solved"
    response = client.post(f"/t/{world.thread.id}/unaccept", headers=JSON)
    assert response.json == {"message": "The answer is no longer marked as accepted.", "accepted_post_id": None,
                             "thread_id": world.thread.id, "state": "answered"}
    assert _count(AcceptedAnswer) == 0


@pytest.mark.parametrize("case, status", [
    ("other thread", 422), ("opening post", 422), ("deleted post", 409), ("someone else's thread", 403),
    ("not a number", 404), ("anonymous", 403),
])
def test_bad_accepts_answer_with_the_right_status_and_change_nothing(client, auth, world, case, status):
    user, post_id = world.asker, world.first.id
    if case == "other thread":
        other = threads.create_thread(world.asker, world.category.id, "Other", "Body")
        post_id = posts.create_reply(world.helper, other.id, "Elsewhere").id
    elif case == "opening post":
        post_id = world.thread.last_post_id - 2
    elif case == "deleted post":
        posts.delete_post(world.helper, world.first.id)
    elif case == "someone else's thread":
        user = world.helper
    elif case == "not a number":
        post_id = "abc"
    if case != "anonymous":
        auth.sign_in(user)
    response = client.post(f"/t/{world.thread.id}/accept", data={"post_id": post_id}, headers=JSON)
    assert response.status_code == status, response.json
    assert response.json["error"]["message"]
    html = client.post(f"/t/{world.thread.id}/accept", data={"post_id": post_id})
    assert html.status_code == status and "<html" in html.text
    assert _count(AcceptedAnswer) == 0 and world.thread.state == ThreadState.answered


# --- verify -----------------------------------------------------------------------------------------


def test_staff_verify_replace_and_unverify_routes(client, auth, world):
    auth.sign_in(world.staff)
    response = client.post(f"/t/{world.thread.id}/verify", data={"post_id": world.first.id}, headers=JSON)
    assert response.status_code == 200 and response.json["verified_post_id"] == world.first.id
    stale = client.post(f"/t/{world.thread.id}/verify", data={"post_id": world.second.id, "replacing": ""}, headers=JSON)
    assert stale.status_code == 409 and "changed the verified answer" in stale.json["error"]["message"]
    replaced = client.post(f"/t/{world.thread.id}/verify", data={"post_id": world.second.id, "replacing": world.first.id})
    assert replaced.status_code == 302
    assert db.session.scalar(select(VerifiedAnswer.post_id)) == world.second.id
    assert client.post(f"/t/{world.thread.id}/unverify", data={"reason": "wrong"}).status_code == 302
    assert _count(VerifiedAnswer) == 0
    actions = list(db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))
    assert actions == ["answer.verify", "answer.verify_refused", "answer.verify_replace", "answer.unverify"]


@pytest.mark.parametrize("who", ["asker", "helper", "anonymous"])
def test_non_staff_cannot_verify_or_unverify(client, auth, world, who):
    answers.verify_answer(world.staff, world.thread.id, world.second.id)
    if who != "anonymous":
        auth.sign_in(getattr(world, who))
    assert client.post(f"/t/{world.thread.id}/verify", data={"post_id": world.first.id}, headers=JSON).status_code == 403
    assert client.post(f"/t/{world.thread.id}/unverify", headers=JSON).status_code == 403
    assert db.session.scalar(select(VerifiedAnswer.post_id)) == world.second.id


def test_official_answer_button_posts_a_verified_reply(client, auth, world):
    auth.sign_in(world.staff)
    page = client.get(f"/t/{world.thread.id}")
    page = client.get(page.headers["Location"]) if page.status_code == 301 else page
    assert f'formaction="/t/{world.thread.id}/official"' in page.text
    response = client.post(f"/t/{world.thread.id}/official", data={"body": "Official: use firmware 2.1"})
    assert response.status_code == 302
    mark = db.session.scalar(select(VerifiedAnswer))
    assert response.headers["Location"].endswith(f"/p/{mark.post_id}")
    bad = client.post(f"/t/{world.thread.id}/official", data={"body": "kept text \x00"})
    assert bad.status_code == 422 and "kept text" in bad.text and "NUL" in bad.text
    auth.sign_in(world.helper)
    assert client.post(f"/t/{world.thread.id}/official", data={"body": "Not staff"}, headers=JSON).status_code == 403


# --- close / reopen, follow, same problem, helpful -------------------------------------------------------


def test_close_and_reopen_routes(client, auth, world):
    auth.sign_in(world.asker)
    assert client.post(f"/t/{world.thread.id}/close", headers=JSON).json["state"] == "closed"
    assert client.post(f"/t/{world.thread.id}/reopen").status_code == 302
    assert world.thread.state == ThreadState.answered
    auth.sign_in(world.helper)
    assert client.post(f"/t/{world.thread.id}/close", headers=JSON).status_code == 403


def test_follow_same_problem_and_helpful_routes(client, auth, world, make_user):
    reader = make_user()
    auth.sign_in(reader)
    assert client.post(f"/t/{world.thread.id}/follow", headers=JSON).json["following"] is True
    assert client.post(f"/t/{world.thread.id}/unfollow").status_code == 302
    assert db.session.scalar(select(func.count()).select_from(Follow).where(Follow.user_id == reader.id)) == 0
    same = client.post(f"/t/{world.thread.id}/same-problem", headers=JSON).json
    assert (same["active"], same["count"]) == (True, 1)
    assert db.session.scalar(select(func.count()).select_from(Follow).where(Follow.user_id == reader.id)) == 1
    vote = client.post(f"/p/{world.first.id}/helpful", headers=JSON).json
    assert (vote["active"], vote["count"]) == (True, 1)
    assert client.post(f"/p/{world.first.id}/helpful").status_code == 302
    assert _count(HelpfulVote) == 0
    auth.sign_in(world.helper)
    own = client.post(f"/p/{world.first.id}/helpful", headers=JSON)
    assert own.status_code == 403 and "your own" in own.json["error"]["message"]


def test_state_changing_routes_need_csrf(app, client, auth, world):
    app.config["WTF_CSRF_ENABLED"] = True
    auth.sign_in(world.asker)
    for url, data in [(f"/t/{world.thread.id}/accept", {"post_id": world.first.id}),
                      (f"/t/{world.thread.id}/same-problem", {}), (f"/p/{world.first.id}/helpful", {}),
                      (f"/t/{world.thread.id}/close", {})]:
        assert client.post(url, data=data).status_code == 400
    assert _count(AcceptedAnswer) == 0 and world.thread.state == ThreadState.answered


# --- the thread page ------------------------------------------------------------------------------------


def _thread_page(client, thread):
    return client.get(f"/t/{thread.id}-{thread.slug}")


def test_verified_answer_shows_first_with_who_and_when(client, auth, world):
    answers.accept_answer(world.asker, world.thread.id, world.first.id)
    answers.verify_answer(world.staff, world.thread.id, world.second.id)
    html = _thread_page(client, world.thread).text
    # The solution summary sits under the question, verified first, before the replies.
    summary = html.index('id="solution"')
    assert html.index(f'id="post-{world.thread.last_post_id - 2}"') < summary < html.index(f'id="post-{world.first.id}"')
    assert html.index("Staff-verified answer", summary) < html.index("Accepted by the asker", summary)
    assert "verified by Staff Sam" in html and f'href="#post-{world.second.id}"' in html
    assert "Accepted answer" in html and "Solved" in html


def test_solved_thread_carries_qapage_json_ld_with_the_verified_answer_first(client, world, make_user):
    answers.accept_answer(world.asker, world.thread.id, world.first.id)
    data = _jsonld(_thread_page(client, world.thread).text)
    assert data["@type"] == "QAPage"
    question = data["mainEntity"]
    assert question["@type"] == "Question" and question["answerCount"] == 2
    assert question["name"] == world.thread.title and question["author"]["name"] == "Asker Ann"
    assert question["acceptedAnswer"]["text"] == "Update the firmware."
    assert question["acceptedAnswer"]["author"]["name"] == "Helper Hal"
    assert question["acceptedAnswer"]["url"].endswith(f"/p/{world.first.id}")
    assert [a["text"] for a in question["suggestedAnswer"]] == ["Replace the power supply."]
    answers.verify_answer(world.staff, world.thread.id, world.second.id)
    data = _jsonld(_thread_page(client, world.thread).text)
    assert data["mainEntity"]["acceptedAnswer"]["text"] == "Replace the power supply."


def test_json_ld_escapes_markup_and_unsolved_threads_are_discussions(client, world):
    html = _thread_page(client, world.thread).text
    block = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S).group(1)
    assert "<" not in block and ">" not in block and "&" not in block and "\\u003c/script\\u003e" in block
    data = json.loads(block)
    assert data["@type"] == "DiscussionForumPosting" and data["headline"] == world.thread.title
    assert 'name="robots"' not in html


@pytest.mark.parametrize("where", ["private thread", "members category"])
def test_non_public_threads_have_no_json_ld_and_are_noindex(client, auth, make_user, make_category, where):
    asker = make_user()
    category = make_category(visibility="members" if where == "members category" else "public")
    thread = threads.create_thread(asker, category.id, "Secret", "Body", is_private=where == "private thread")
    auth.sign_in(asker)
    html = _thread_page(client, thread).text
    assert _jsonld(html) is None and '<meta name="robots" content="noindex">' in html


def test_listings_filter_by_state_and_badge_solved(client, world, make_category):
    answers.accept_answer(world.asker, world.thread.id, world.first.id)
    lonely = threads.create_thread(world.asker, world.category.id, "Nobody answered me", "Body")
    for url in ("/latest", f"/c/{world.category.slug}"):
        solved = client.get(url, query_string={"state": "solved"}).text
        assert world.thread.title.split(" <")[0] in solved and lonely.title not in solved and "badge-solved" in solved
        unanswered = client.get(url, query_string={"state": "unanswered"}).text
        assert lonely.title in unanswered and "Router" not in unanswered
        unsolved = client.get(url, query_string={"state": "unsolved"}).text
        assert lonely.title in unsolved and "Router" not in unsolved
        everything = client.get(url, query_string={"state": "bogus"})
        assert everything.status_code == 200 and lonely.title in everything.text and "Router" in everything.text


def test_non_public_category_pages_are_noindex(client, auth, make_user, make_category):
    auth.sign_in(make_user())
    members = make_category(visibility="members")
    public = make_category()
    assert '<meta name="robots" content="noindex">' in client.get(f"/c/{members.slug}").text
    assert 'name="robots"' not in client.get(f"/c/{public.slug}").text
