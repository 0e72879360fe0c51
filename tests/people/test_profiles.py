"""Profiles and user cards: counts, answers and activity through the viewer's read rules, and the
moderation history for staff only."""
import pytest

from community.extensions import db
from community.models import AcceptedAnswer, AuditEntry, HelpfulVote, Role, VerifiedAnswer, Visibility
from community.people import service


@pytest.fixture
def record(make_user, make_category, make_thread, make_post):
    """An answerer with public answers (one accepted, one verified), a reply in a staff-only room and
    a reply in someone's private thread: what a profile may and may not count."""
    answerer = make_user(display_name="Ada Answer", username="ada")
    staff = make_user(role=Role.staff)
    public = make_category(name="Public")
    first = make_thread(category=public, title="First public question")
    second = make_thread(category=public, title="Second public question")
    accepted = make_post(thread=first, author=answerer, body="Restart the **agent**.")
    verified = make_post(thread=second, author=answerer, body="Rotate the key first.")
    db.session.add_all([
        AcceptedAnswer(thread_id=first.id, post_id=accepted.id, accepted_by_id=first.author_id),
        VerifiedAnswer(thread_id=second.id, post_id=verified.id, verified_by_id=staff.id),
        HelpfulVote(post_id=accepted.id, user_id=staff.id),
    ])
    staff_room = make_category(name="Staff room", visibility=Visibility.staff)
    hidden_reply = make_post(thread=make_thread(category=staff_room, title="Staff-only escalation"), author=answerer)
    private = make_thread(category=public, title="Somebody's private invoice question", is_private=True)
    private_reply = make_post(thread=private, author=answerer)
    make_thread(category=public, author=answerer, title="Ada asks something")
    db.session.add(AuditEntry(actor_id=staff.id, action="user.suspend", target_type="user", target_id=answerer.id,
                              before={}, after={"suspended": True}, reason="Spam links"))
    db.session.commit()
    return {"answerer": answerer, "staff": staff, "hidden": (hidden_reply, private_reply)}


def test_counts_and_activity_leave_out_what_the_viewer_cannot_read(record, make_user):
    answerer, staff = record["answerer"], record["staff"]
    for viewer in (None, make_user()):
        stats = service.stats(viewer, answerer)
        assert (stats.threads, stats.replies, stats.accepted, stats.verified, stats.helpful) == (1, 2, 1, 1, 1)
        titles = {item.post.thread.title for item in service.recent_activity(viewer, answerer)}
        assert "Staff-only escalation" not in titles and "Somebody's private invoice question" not in titles
    assert service.stats(staff, answerer).replies == 4
    answers = service.answers(None, answerer)
    assert [item.post.thread.title for item in answers] == ["Second public question", "First public question"]
    assert answers[1].excerpt == "Restart the agent."


def test_moderation_history_is_for_staff_only(record, make_user):
    answerer = record["answerer"]
    assert service.moderation_history(None, answerer) == []
    assert service.moderation_history(make_user(), answerer) == []
    assert [entry.reason for entry in service.moderation_history(record["staff"], answerer)] == ["Spam links"]


def test_profile_page_shows_stats_answers_and_history_by_role(record, client, auth):
    page = client.get("/u/ada").get_data(as_text=True)
    assert "Ada Answer" in page and "First public question" in page and "Accepted answers" in page
    assert "Staff-only escalation" not in page and "Moderation history" not in page and "Spam links" not in page
    auth.sign_in(record["staff"])
    page = client.get("/u/ada").get_data(as_text=True)
    assert "Moderation history" in page and "Spam links" in page and "Staff-only escalation" in page


def test_user_card_json_follows_the_same_rules(record, client, auth, make_user):
    response = client.get("/u/ada/card")
    assert response.status_code == 200 and "private" in response.headers["Cache-Control"]
    card = response.get_json()
    assert card["name"] == "Ada Answer" and card["role"] == "Member" and card["initials"] == "AA"
    assert card["answers"] == {"accepted": 1, "verified": 1}
    assert card["profile_url"] == "/u/ada"
    assert "Staff-only escalation" not in {item["title"] for item in card["activity"]}
    missing = client.get("/u/nobody-here/card")
    assert missing.status_code == 404 and missing.get_json()["error"]["code"] == "not_found"
    auth.sign_in(record["staff"])
    assert "Staff-only escalation" in {item["title"] for item in client.get("/u/ada/card").get_json()["activity"]}


@pytest.mark.parametrize("role, verified, label", [
    (Role.customer, False, "Member"), (Role.customer, True, "Verified customer"),
    (Role.staff, False, "Staff"), (Role.moderator, False, "Moderator"), (Role.marketer, False, "Marketing"),
])
def test_role_label(make_user, role, verified, label):
    assert service.role_label(make_user(role=role, verified_customer=verified)) == label


def test_listing_rows_show_the_last_visible_poster(app, make_user, make_thread, make_post):
    thread = make_thread()
    replier = make_user(display_name="Last Replier")
    make_post(thread=thread, author=replier)
    assert service.last_posters([thread])[thread.id].id == replier.id
    hidden = make_post(thread=thread, author=make_user())
    hidden.is_hidden = True
    db.session.commit()
    # A hidden latest post does not name its author: the row falls back to the asker.
    assert service.last_posters([thread])[thread.id].id == thread.author_id
