"""Two staff members verify two different replies of one thread at the same moment (PostgreSQL,
two real connections): one wins, the other gets a 409 Conflict, and both attempts are audited."""
import threading

import pytest
from sqlalchemy import func, select

from community.errors import Conflict
from community.extensions import db
from community.models import AuditEntry, User, VerifiedAnswer
from community.services import answers, posts, threads


@pytest.mark.backends("postgres")
def test_simultaneous_verifications_leave_one_verified_answer_and_two_audit_rows(app, make_user, make_category):
    asker, staff_a, staff_b = make_user(), make_user(role="staff"), make_user(role="moderator")
    thread = threads.create_thread(asker, make_category().id, "Race", "Which answer wins?")
    reply_a = posts.create_reply(make_user(), thread.id, "Answer A")
    reply_b = posts.create_reply(make_user(), thread.id, "Answer B")
    barrier = threading.Barrier(2, timeout=10)
    outcomes: dict[int, str] = {}

    def verify(staff_id: int, post_id: int) -> None:
        with app.app_context():
            staff = db.session.get(User, staff_id)
            barrier.wait()
            try:
                answers.verify_answer(staff, thread.id, post_id)
                outcomes[post_id] = "verified"
            except Conflict:
                outcomes[post_id] = "conflict"
            finally:
                db.session.remove()

    workers = [threading.Thread(target=verify, args=args) for args in ((staff_a.id, reply_a.id), (staff_b.id, reply_b.id))]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=30)

    assert sorted(outcomes.values()) == ["conflict", "verified"]
    winner = next(post_id for post_id, outcome in outcomes.items() if outcome == "verified")
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(VerifiedAnswer)) == 1
    assert db.session.scalar(select(VerifiedAnswer.post_id)) == winner
    audit = db.session.execute(select(AuditEntry.action, AuditEntry.target_id).order_by(AuditEntry.id)).all()
    loser = reply_a.id if winner == reply_b.id else reply_b.id
    assert sorted(audit) == sorted([("answer.verify", winner), ("answer.verify_refused", loser)])
