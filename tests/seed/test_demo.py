"""Demo seed: a complete branded community on an empty database, and a no-op on a non-empty one."""
import re

from sqlalchemy import func, select

from community.extensions import db
from community.models import AcceptedAnswer, AuditEntry, Category, Post, Role, Thread, ThreadFacts, ThreadState, User, VerifiedAnswer, Visibility
from community.services import inbox, moderation
from community.services.branding import get_branding
from community.services.passwords import verify_password


def _seed(app, *args):
    return app.test_cli_runner().invoke(args=["community", "seed-demo", *args])


def test_seed_builds_a_branded_community_and_prints_working_credentials(app, client):
    # The test app turns COMMUNITY_SEED_DEMO off, which makes `make run`'s --if-empty seed skip.
    assert "skipped" in _seed(app, "--if-empty").output
    assert db.session.scalar(select(func.count(User.id))) == 0
    app.config["SEED_DEMO"] = True
    result = _seed(app, "--if-empty")
    assert result.exit_code == 0, result.output

    assert get_branding()["name"] == "Acme Cloud Support"
    assert get_branding()["footer_links"] and get_branding()["tagline"]
    assert db.session.scalar(select(func.count(Thread.id))) >= 30
    assert {c.visibility for c in db.session.scalars(select(Category))} == set(Visibility)
    roles = {u.role for u in db.session.scalars(select(User))}
    assert {Role.admin, Role.staff, Role.customer} <= roles
    assert db.session.scalar(select(func.count(User.id)).where(User.is_verified_customer.is_(True))) == 1

    printed = dict(re.findall(r"(\S+@\S+)\s+(\S+)\s+\(", result.output))
    admin = db.session.scalar(select(User).where(User.role == Role.admin))
    assert verify_password(admin.password_hash, printed[admin.email])
    assert len(printed) == db.session.scalar(select(func.count(User.id)))

    for thread in db.session.scalars(select(Thread)):
        posts = list(db.session.scalars(select(Post).where(Post.thread_id == thread.id).order_by(Post.position)))
        assert thread.reply_count == len(posts) - 1 and thread.last_post_id == posts[-1].id
    billing = db.session.scalar(select(Category).where(Category.visibility == Visibility.customers))
    assert billing.thread_count > 0 and billing.post_count > billing.thread_count
    assert "Acme Cloud Support" in client.get("/").get_data(as_text=True)

    # What the answers and moderation features add: verified answers, the inbox, privacy, flags, the audit log.
    verified = list(db.session.scalars(select(VerifiedAnswer)))
    assert len({v.thread_id for v in verified}) >= 2
    for mark in verified:
        thread = db.session.get(Thread, mark.thread_id)
        assert thread.state.value == "solved" and thread.solved_at and thread.first_verified_at
    # Solved means a marked answer: every solved demo thread has one (thread 8 once had none).
    solved = list(db.session.scalars(select(Thread).where(Thread.state == ThreadState.solved)))
    assert len(solved) >= 8
    marked = set(db.session.scalars(select(VerifiedAnswer.thread_id))) | set(db.session.scalars(select(AcceptedAnswer.thread_id)))
    assert {t.title for t in solved if t.id not in marked} == set()
    assert marked <= {t.id for t in solved}
    priya = db.session.scalar(select(User).where(User.username == "priya"))
    assert len(inbox.needs_response(priya)) >= 1
    private = list(db.session.scalars(select(Thread).where(Thread.is_private.is_(True))))
    assert private and all(t.first_staff_reply_at is not None for t in private)
    assert client.get(f"/t/{private[0].id}-{private[0].slug}").status_code == 404
    queue = moderation.moderation_queue(priya)
    flagged = [item for item in queue if item.flags]
    assert flagged and all(not item.post.is_hidden for item in flagged)
    audited = set(db.session.scalars(select(AuditEntry.target_id).where(AuditEntry.action == "answer.verify")))
    assert {v.post_id for v in verified} <= audited

    # The dashboard opens with figures, not "rollups not built yet".
    assert db.session.scalar(select(func.count(ThreadFacts.thread_id))) == db.session.scalar(select(func.count(Thread.id)))


def test_if_empty_is_a_no_op_on_a_database_with_users(app, make_user):
    make_user()
    result = _seed(app, "--if-empty")
    assert result.exit_code == 0 and "skipped" in result.output
    assert db.session.scalar(select(func.count(Thread.id))) == 0
    assert get_branding()["name"] != "Acme Cloud Support"


def test_without_if_empty_a_non_empty_database_is_refused(app, make_user):
    make_user()
    result = _seed(app)
    assert result.exit_code != 0 and "already has users" in result.output
    assert db.session.scalar(select(func.count(Category.id))) == 0
