"""The solution first: the summary under the question, the answer marked in place, the listing's
"Solved" marker leading to it, and the reactions panel's states (issue 15, items 1 and 9)."""
import re

import pytest
from sqlalchemy import select

from community.extensions import db
from community.models import Follow, SameProblem
from community.services import answers, posts, threads

JSON = {"Accept": "application/json"}


@pytest.fixture
def world(make_user, make_category):
    category = make_category(name="Networking")
    asker, helper = make_user(display_name="Asker Ann"), make_user(display_name="Helper Hal")
    staff = make_user(role="staff", display_name="Staff Sam")
    thread = threads.create_thread(asker, category.id, "Certificate renewal fails", "The renewal fails every night.")
    accepted = posts.create_reply(helper, thread.id, "Open port 80 for the **HTTP** challenge.")
    verified = posts.create_reply(staff, thread.id, "Use the DNS challenge: " + "details " * 80)
    return type("World", (), dict(category=category, asker=asker, helper=helper, staff=staff, thread=thread,
                                   accepted=accepted, verified=verified))


def _page(client, thread) -> str:
    return client.get(f"/t/{thread.id}-{thread.slug}").get_data(as_text=True)


def _solution(html: str) -> str:
    found = re.search(r'<section id="solution".*?</section>', html, re.S)
    return found.group(0) if found else ""


def test_summary_under_the_question_names_both_marks_verified_first(client, world):
    assert _solution(_page(client, world.thread)) == ""  # nothing marked: no summary
    answers.accept_answer(world.asker, world.thread.id, world.accepted.id)
    answers.verify_answer(world.staff, world.thread.id, world.verified.id)
    html = _page(client, world.thread)
    summary = _solution(html)
    # Under the question: after the opening post's article, before the first reply.
    assert html.index(f'id="post-{world.thread.last_post_id - 2}"') < html.index('id="solution"') < html.index(f'id="post-{world.accepted.id}"')
    assert summary.index("Staff-verified answer") < summary.index("Accepted by the asker")
    assert summary.index("Staff Sam") < summary.index("Helper Hal")
    assert f'href="#post-{world.verified.id}"' in summary and f'href="#post-{world.accepted.id}"' in summary
    assert "Open port 80 for the HTTP challenge." in summary  # a plain-text excerpt
    assert "…" in summary  # the long verified answer is cut
    assert re.search(rf'class="post post-accepted" id="post-{world.accepted.id}"', html)
    assert re.search(rf'class="post post-verified" id="post-{world.verified.id}"', html)


def test_one_reply_with_both_marks_is_one_summary_with_both_badges(client, world):
    answers.accept_answer(world.asker, world.thread.id, world.verified.id)
    answers.verify_answer(world.staff, world.thread.id, world.verified.id)
    summary = _solution(_page(client, world.thread))
    assert summary.count("Jump to the answer") == 1
    assert "Staff-verified answer" in summary and "Accepted by the asker" in summary


def test_answer_on_a_later_page_is_reached_through_its_permalink(app, client, world):
    app.config["POSTS_PER_PAGE"] = 2
    answers.verify_answer(world.staff, world.thread.id, world.verified.id)
    summary = _solution(_page(client, world.thread))
    assert f'href="/p/{world.verified.id}"' in summary


def test_solved_marker_in_listings_leads_to_the_answer(client, world):
    answers.accept_answer(world.asker, world.thread.id, world.accepted.id)
    listing = client.get("/latest").get_data(as_text=True)
    assert f'href="/t/{world.thread.id}/solution"' in listing
    response = client.get(f"/t/{world.thread.id}/solution")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/p/{world.accepted.id}")
    answers.verify_answer(world.staff, world.thread.id, world.verified.id)
    assert client.get(f"/t/{world.thread.id}/solution").headers["Location"].endswith(f"/p/{world.verified.id}")
    answers.unverify_answer(world.staff, world.thread.id)
    answers.unaccept_answer(world.asker, world.thread.id)
    assert client.get(f"/t/{world.thread.id}/solution").headers["Location"].endswith("#solution")
    assert client.get("/t/987654/solution").status_code == 404


def test_the_asker_is_not_offered_same_problem_and_is_refused(client, auth, world):
    auth.sign_in(world.asker)
    assert "I have this problem too" not in _page(client, world.thread)
    response = client.post(f"/t/{world.thread.id}/same-problem", headers=JSON)
    assert response.status_code == 403
    assert db.session.scalar(select(SameProblem.id)) is None


def test_same_problem_follows_and_says_so_and_counts_in_the_singular(client, auth, world, make_user):
    reader = make_user()
    auth.sign_in(reader)
    html = _page(client, world.thread)
    assert "data-same-problem-summary hidden" in html  # "0 people have this problem" is not shown
    response = client.post(f"/t/{world.thread.id}/same-problem", headers=JSON)
    assert response.json["active"] is True and response.json["count"] == 1 and response.json["following"] is True
    assert db.session.scalar(select(Follow.id).where(Follow.user_id == reader.id)) is not None
    html = _page(client, world.thread)
    assert "1</span>\n  <span data-count-noun" in html and "person has this problem" in html
    assert 'aria-pressed="true"' in html and ">Unfollow<" in html


def test_right_after_posting_the_author_already_follows(client, auth, world):
    auth.sign_in(world.helper)
    thread = threads.create_thread(world.helper, world.category.id, "A brand new question", "Body text here.")
    assert ">Unfollow<" in _page(client, thread)
    other = threads.create_thread(world.asker, world.category.id, "Someone else's question", "Body text here.")
    posts.create_reply(world.helper, other.id, "A first reply.")
    assert ">Unfollow<" in _page(client, other)


def test_qapage_for_every_solved_thread(client, world):
    answers.accept_answer(world.asker, world.thread.id, world.accepted.id)
    html = _page(client, world.thread)
    assert '"@type": "QAPage"' in html or '"@type":"QAPage"' in html
