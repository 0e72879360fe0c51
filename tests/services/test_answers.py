"""Accepted and verified answers, official answers, reactions and the response-time fields."""
import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from community.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from community.extensions import db
from community.models import (
    AcceptedAnswer, AuditEntry, Follow, HelpfulVote, SameProblem, ThreadState, VerifiedAnswer,
)
from community.services import answers, lifecycle, posts, reactions, threads


@pytest.fixture
def world(make_user, make_category):
    category = make_category()
    asker, helper, staff = make_user(), make_user(), make_user(role="staff")
    thread = threads.create_thread(asker, category.id, "Printer on fire", "It is on fire.")
    first = posts.create_reply(helper, thread.id, "Unplug it.")
    second = posts.create_reply(staff, thread.id, "Use an extinguisher.")
    return type("World", (), dict(category=category, asker=asker, helper=helper, staff=staff, thread=thread,
                                   first=first, second=second))


def _count(model, **where) -> int:
    query = select(func.count()).select_from(model)
    for name, value in where.items():
        query = query.where(getattr(model, name) == value)
    return db.session.scalar(query)


def _audit_actions() -> list[str]:
    return list(db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


# --- accepting ------------------------------------------------------------------------------------


def test_asker_accepts_then_switches_and_unaccepts(world, published):
    answers.accept_answer(world.asker, world.thread.id, world.first.id)
    assert world.thread.state == ThreadState.solved and world.thread.solved_at is not None
    solved_at = world.thread.solved_at
    assert published == [("answer_accepted", {"thread_id": world.thread.id, "post_id": world.first.id,
                                              "actor_id": world.asker.id})]
    answers.accept_answer(world.asker, world.thread.id, world.second.id)
    rows = db.session.scalars(select(AcceptedAnswer)).all()
    assert [(r.thread_id, r.post_id) for r in rows] == [(world.thread.id, world.second.id)]
    assert world.thread.solved_at == solved_at  # the first solve time stays
    answers.unaccept_answer(world.asker, world.thread.id)
    assert _count(AcceptedAnswer) == 0 and world.thread.state == ThreadState.answered


def _refusal(world, make_user, make_category, case):
    if case == "other thread":
        other = threads.create_thread(world.asker, world.category.id, "Another", "Body")
        foreign = posts.create_reply(world.helper, other.id, "Elsewhere")
        return world.asker, foreign.id, ValidationFailed
    if case == "opening post":
        return world.asker, world.thread.last_post_id and db.session.scalar(
            select(func.min(answers.Post.id)).where(answers.Post.thread_id == world.thread.id)), ValidationFailed
    if case == "deleted post":
        posts.delete_post(world.helper, world.first.id)
        return world.asker, world.first.id, Conflict
    if case == "someone else's thread":
        return world.helper, world.second.id, PermissionDenied
    if case == "missing post":
        return world.asker, 999_999, NotFound
    if case == "closed thread":
        lifecycle.close_thread(world.staff, world.thread.id)
        return world.asker, world.first.id, Conflict
    raise AssertionError(case)


@pytest.mark.parametrize("case", ["other thread", "opening post", "deleted post", "someone else's thread",
                                  "missing post", "closed thread"])
def test_bad_accepts_are_refused_and_change_nothing(world, make_user, make_category, published, case):
    user, post_id, error = _refusal(world, make_user, make_category, case)
    state = world.thread.state
    with pytest.raises(error):
        answers.accept_answer(user, world.thread.id, post_id)
    db.session.rollback()
    assert _count(AcceptedAnswer) == 0 and world.thread.state == state
    assert not [kind for kind, _ in published if kind == "answer_accepted"]


# --- verifying ------------------------------------------------------------------------------------


def test_staff_verifies_replaces_and_unverifies_with_audit(world, published):
    answers.verify_answer(world.staff, world.thread.id, world.first.id)
    mark = db.session.scalar(select(VerifiedAnswer))
    assert (mark.post_id, mark.verified_by_id) == (world.first.id, world.staff.id)
    first_verified_at = world.thread.first_verified_at
    assert first_verified_at is not None and world.thread.state == ThreadState.solved
    assert ("answer_verified", {"thread_id": world.thread.id, "post_id": world.first.id, "actor_id": world.staff.id}) in published

    answers.verify_answer(world.staff, world.thread.id, world.second.id, replacing=world.first.id)
    assert db.session.scalar(select(VerifiedAnswer.post_id)) == world.second.id
    answers.unverify_answer(world.staff, world.thread.id, "Outdated")
    assert _count(VerifiedAnswer) == 0 and world.thread.state == ThreadState.answered
    assert world.thread.first_verified_at == first_verified_at
    assert _audit_actions() == ["answer.verify", "answer.verify_replace", "answer.unverify"]


def test_a_stale_replace_is_refused_audited_and_changes_nothing(world):
    answers.verify_answer(world.staff, world.thread.id, world.first.id)
    other_staff = world.staff  # same person, stale page: they saw no verified answer
    with pytest.raises(Conflict):
        answers.verify_answer(other_staff, world.thread.id, world.second.id, replacing=None)
    assert db.session.scalar(select(VerifiedAnswer.post_id)) == world.first.id
    assert _audit_actions() == ["answer.verify", "answer.verify_refused"]


@pytest.mark.parametrize("role", ["customer", "marketer"])
def test_non_staff_cannot_verify(world, make_user, role):
    with pytest.raises(PermissionDenied):
        answers.verify_answer(make_user(role=role), world.thread.id, world.first.id)
    with pytest.raises(PermissionDenied):
        answers.unverify_answer(world.asker, world.thread.id)
    assert _count(VerifiedAnswer) == 0 and _audit_actions() == []


def test_verifying_a_deleted_reply_or_the_question_is_refused(world):
    opening_id = db.session.scalar(select(func.min(answers.Post.id)).where(answers.Post.thread_id == world.thread.id))
    with pytest.raises(ValidationFailed):
        answers.verify_answer(world.staff, world.thread.id, opening_id)
    posts.delete_post(world.helper, world.first.id)
    with pytest.raises(Conflict):
        answers.verify_answer(world.staff, world.thread.id, world.first.id)
    assert _count(VerifiedAnswer) == 0


def test_official_answer_is_a_verified_reply_in_one_step(world, published):
    reply = answers.post_official_answer(world.staff, world.thread.id, "Official fix: firmware 2.1.")
    mark = db.session.scalar(select(VerifiedAnswer))
    assert mark.post_id == reply.id and reply.position == 4
    assert world.thread.state == ThreadState.solved
    assert _audit_actions() == ["answer.verify"]
    assert published[-1][0] == "answer_verified"
    with pytest.raises(PermissionDenied):
        answers.post_official_answer(world.helper, world.thread.id, "Me too official")
    with pytest.raises(ValidationFailed):
        answers.post_official_answer(world.staff, world.thread.id, "   ")


@pytest.mark.parametrize("model", [AcceptedAnswer, VerifiedAnswer])
def test_the_database_allows_one_mark_per_thread(world, model):
    by = "accepted_by_id" if model is AcceptedAnswer else "verified_by_id"
    db.session.add(model(thread_id=world.thread.id, post_id=world.first.id, **{by: world.staff.id}))
    db.session.commit()
    db.session.add(model(thread_id=world.thread.id, post_id=world.second.id, **{by: world.staff.id}))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


# --- response-time fields -----------------------------------------------------------------------------


def test_response_times_are_set_once_by_others_and_survive_deletes(make_user, make_category):
    category = make_category()
    asker, staff, helper = make_user(), make_user(role="staff"), make_user()
    thread = threads.create_thread(asker, category.id, "Question", "Body")
    bump = posts.create_reply(asker, thread.id, "Bump")
    assert (thread.first_reply_at, thread.first_staff_reply_at, thread.state) == (None, None, ThreadState.open)
    helper_reply = posts.create_reply(helper, thread.id, "Try this")
    staff_reply = posts.create_reply(staff, thread.id, "Official")
    posts.create_reply(staff, thread.id, "Again")
    assert thread.first_reply_at == helper_reply.created_at
    assert thread.first_staff_reply_at == staff_reply.created_at
    posts.delete_post(helper, helper_reply.id)
    posts.delete_post(staff, staff_reply.id)
    posts.edit_post(asker, bump.id, "Edited")
    db.session.expire_all()
    assert thread.first_reply_at == helper_reply.created_at
    assert thread.first_staff_reply_at == staff_reply.created_at


def test_staff_asking_their_own_question_is_not_a_staff_response(make_user, make_category):
    staff = make_user(role="staff")
    thread = threads.create_thread(staff, make_category().id, "Internal note", "Body")
    posts.create_reply(staff, thread.id, "Follow-up")
    assert thread.first_staff_reply_at is None and thread.first_reply_at is None


# --- reactions ----------------------------------------------------------------------------------------


def test_same_problem_counts_once_follows_and_toggles(world, make_user):
    other = make_user()
    assert reactions.toggle_same_problem(other, world.thread.id) == (True, 1)
    assert _count(Follow, user_id=other.id, thread_id=world.thread.id) == 1
    assert reactions.toggle_same_problem(world.helper, world.thread.id) == (True, 2)
    assert reactions.toggle_same_problem(other, world.thread.id) == (False, 1)
    assert _count(Follow, user_id=other.id) == 1  # un-saying it keeps the follow
    db.session.add_all([SameProblem(thread_id=world.thread.id, user_id=world.helper.id)])
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()
    with pytest.raises(PermissionDenied):
        reactions.toggle_same_problem(None, world.thread.id)


def test_follow_and_unfollow_are_idempotent(world, make_user):
    reader = make_user()
    reactions.set_following(reader, world.thread.id, True)
    reactions.set_following(reader, world.thread.id, True)
    assert _count(Follow, user_id=reader.id) == 1
    reactions.set_following(reader, world.thread.id, False)
    assert _count(Follow, user_id=reader.id) == 0


def test_private_threads_cannot_be_followed_by_strangers(make_user, make_category):
    asker = make_user()
    thread = threads.create_thread(asker, make_category().id, "Secret", "Body", is_private=True)
    with pytest.raises(NotFound):
        reactions.set_following(make_user(), thread.id, True)


def test_helpful_votes_toggle_once_per_user_never_on_your_own(world, make_user):
    voter = make_user()
    assert reactions.toggle_helpful(voter, world.first.id) == (True, 1)
    assert reactions.toggle_helpful(world.asker, world.first.id) == (True, 2)
    assert reactions.toggle_helpful(voter, world.first.id) == (False, 1)
    with pytest.raises(PermissionDenied):
        reactions.toggle_helpful(world.helper, world.first.id)
    opening_id = db.session.scalar(select(func.min(answers.Post.id)).where(answers.Post.thread_id == world.thread.id))
    with pytest.raises(PermissionDenied):
        reactions.toggle_helpful(voter, opening_id)
    db.session.add(HelpfulVote(post_id=world.first.id, user_id=world.asker.id))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_search_documents_know_about_the_verified_answer(world):
    from community.search.documents import docs_for

    (before,), _ = docs_for(db.session, [world.thread.id])
    answers.verify_answer(world.staff, world.thread.id, world.first.id)
    (after,), _ = docs_for(db.session, [world.thread.id])
    assert (before.has_verified_answer, after.has_verified_answer) == (False, True)
    assert after.state == "solved"


def test_bulk_recount_ignores_the_askers_own_replies_and_keeps_a_recorded_time(make_user, make_thread, make_post):
    from community.services.categories import recount_threads

    asker, helper = make_user(), make_user()
    thread = make_thread(author=asker)
    make_post(thread=thread, author=asker, body="bump")
    recount_threads({thread.id})
    db.session.commit()
    db.session.expire_all()
    assert thread.first_reply_at is None
    answer = make_post(thread=thread, author=helper)
    recount_threads({thread.id})
    db.session.commit()
    db.session.expire_all()
    assert thread.first_reply_at == answer.created_at
    answer.deleted_at = answer.created_at
    recount_threads({thread.id})
    db.session.commit()
    db.session.expire_all()
    assert thread.first_reply_at == answer.created_at
