"""Forum services: creating threads and replies, counters, edits with revisions, delete/restore."""
import pytest
from sqlalchemy import func, select

from community.errors import NotFound, PermissionDenied, ValidationFailed
from community.extensions import db
from community.models import Post, PostRevision, Thread, ThreadState, Visibility
from community.services import forum, posts, threads


@pytest.fixture
def asker(make_user):
    return make_user(username="asker")


@pytest.fixture
def category(make_category):
    return make_category(name="Billing")


def _counts():
    return db.session.scalar(select(func.count()).select_from(Thread)), db.session.scalar(
        select(func.count()).select_from(Post)
    )


def test_create_thread_writes_thread_opening_post_and_counters(asker, category):
    thread = threads.create_thread(asker, category.id, "  How do I   export invoices? ", "Where is the **button**?")
    opening = db.session.scalar(select(Post).where(Post.thread_id == thread.id))
    assert thread.title == "How do I export invoices?"
    assert thread.slug == "how-do-i-export-invoices"
    assert opening.position == 1 and "<strong>button</strong>" in opening.body_html
    assert thread.last_post_id == opening.id and thread.reply_count == 0 and thread.state == ThreadState.open
    assert (category.thread_count, category.post_count) == (1, 1)


def test_reply_by_someone_else_answers_the_thread_and_updates_counters(asker, category, make_user):
    thread = threads.create_thread(asker, category.id, "Question", "Body")
    own = posts.create_reply(asker, thread.id, "Any ideas?")
    assert (thread.reply_count, thread.state, thread.first_reply_at) == (1, ThreadState.open, None)
    answer = posts.create_reply(make_user(), thread.id, "Try this.")
    assert thread.reply_count == 2 and thread.state == ThreadState.answered
    assert thread.first_reply_at == answer.created_at and thread.last_post_id == answer.id
    assert [own.position, answer.position] == [2, 3]
    assert category.post_count == 3


def test_private_threads_are_not_counted_in_category_counters(asker, category):
    threads.create_thread(asker, category.id, "Secret", "Body", is_private=True)
    assert (category.thread_count, category.post_count) == (0, 0)


@pytest.mark.parametrize(
    ("title", "body", "field", "message"),
    [
        ("", "body", "title", "can't be empty"),
        ("   ", "body", "title", "can't be empty"),
        ("x" * 151, "body", "title", "too long"),
        ("Title", "", "body", "can't be empty"),
        ("Title", "b" * 50_001, "body", "too long"),
        ("Title\x00", "body", "title", "NUL"),
        ("Title", "bo\x00dy", "body", "NUL"),
        ("Title", "bad \ufffd\ufffd bytes", "body", "UTF-8"),
    ],
)
def test_bad_input_is_refused_with_a_field_message_and_writes_nothing(asker, category, title, body, field, message):
    with pytest.raises(ValidationFailed) as raised:
        threads.create_thread(asker, category.id, title, body)
    assert message in raised.value.fields[field]
    assert _counts() == (0, 0)


def test_title_and_body_limits_come_from_config(app, asker, category):
    app.config["TITLE_MAX_LENGTH"] = 10
    with pytest.raises(ValidationFailed):
        threads.create_thread(asker, category.id, "Eleven char", "body")
    assert threads.create_thread(asker, category.id, "Ten chars!", "body").title == "Ten chars!"


def test_unverified_email_cannot_post(make_user, category):
    with pytest.raises(PermissionDenied, match="Confirm your email"):
        threads.create_thread(make_user(email_verified=False), category.id, "Title", "Body")


def test_editing_opening_post_keeps_revision_and_changes_title_and_slug(asker, category):
    thread = threads.create_thread(asker, category.id, "Old title", "old line\nsame line")
    opening_id = thread.last_post_id
    posts.edit_post(asker, opening_id, "new line\nsame line", title="New title", reason="typo")
    revision = db.session.scalar(select(PostRevision).where(PostRevision.post_id == opening_id))
    assert (revision.number, revision.old_title, revision.new_title) == (1, "Old title", "New title")
    assert (revision.old_body, revision.new_body, revision.editor_id) == ("old line\nsame line", "new line\nsame line", asker.id)
    assert (thread.title, thread.slug) == ("New title", "new-title")
    _post, history = posts.post_revisions(asker, opening_id)
    assert [(line.kind, line.text) for line in history[0].body_diff] == [
        ("removed", "old line"), ("added", "new line"), ("same", "same line"),
    ]


def test_edit_without_changes_writes_no_revision(asker, category):
    thread = threads.create_thread(asker, category.id, "Title", "Body")
    posts.edit_post(asker, thread.last_post_id, "Body", title="Title")
    assert db.session.scalar(select(func.count()).select_from(PostRevision)) == 0


def test_others_cannot_edit_or_see_revisions(asker, category, make_user):
    thread = threads.create_thread(asker, category.id, "Title", "Body")
    stranger = make_user()
    with pytest.raises(PermissionDenied):
        posts.edit_post(stranger, thread.last_post_id, "Hacked")
    with pytest.raises(PermissionDenied):
        posts.post_revisions(stranger, thread.last_post_id)
    assert posts.post_revisions(make_user(role="staff"), thread.last_post_id)[1] == []


def test_deleting_a_reply_recounts_and_staff_restore_brings_it_back(asker, category, make_user):
    thread = threads.create_thread(asker, category.id, "Title", "Body")
    helper = make_user()
    reply = posts.create_reply(helper, thread.id, "Answer")
    posts.delete_post(helper, reply.id)
    # first_reply_at is a response-time fact: it survives the reply's deletion.
    assert (thread.reply_count, thread.state, thread.first_reply_at, category.post_count) == (
        0, ThreadState.open, reply.created_at, 1
    )
    with pytest.raises(NotFound):
        posts.restore_post(helper, reply.id)
    posts.restore_post(make_user(role="moderator"), reply.id)
    assert (reply.deleted_at, thread.reply_count, thread.state, category.post_count) == (None, 1, ThreadState.answered, 2)


def test_deleting_the_opening_post_deletes_the_thread_for_everyone_but_staff(asker, category, make_user):
    thread = threads.create_thread(asker, category.id, "Title", "Body")
    posts.delete_post(asker, thread.last_post_id)
    assert thread.deleted_at is not None and category.thread_count == 0
    with pytest.raises(NotFound):
        forum.thread_for_viewer(asker, thread.id)
    staff = make_user(role="staff")
    assert forum.thread_for_viewer(staff, thread.id) is thread
    with pytest.raises(PermissionDenied, match="deleted"):
        posts.create_reply(asker, thread.id, "Still there?")
    posts.restore_post(staff, thread.last_post_id)
    assert thread.deleted_at is None and category.thread_count == 1


def test_locked_thread_refuses_replies_except_from_staff(asker, category, make_user):
    thread = threads.create_thread(asker, category.id, "Title", "Body")
    thread.is_locked = True
    db.session.commit()
    with pytest.raises(PermissionDenied, match="locked"):
        posts.create_reply(asker, thread.id, "Hello?")
    assert posts.create_reply(make_user(role="staff"), thread.id, "Closing note").position == 2


def test_mentions_link_only_existing_users(asker, category, make_user):
    make_user(username="Helper_1")
    thread = threads.create_thread(asker, category.id, "Title", "cc @helper_1 and @nobody")
    html = db.session.get(Post, thread.last_post_id).body_html
    assert 'href="/u/Helper_1"' in html and "/u/nobody" not in html


def test_listing_hides_private_threads_of_others_and_deleted_threads(asker, category, make_user):
    public = threads.create_thread(asker, category.id, "Public", "Body")
    private = threads.create_thread(asker, category.id, "Private", "Body", is_private=True)
    gone = threads.create_thread(asker, category.id, "Gone", "Body")
    posts.delete_post(asker, gone.last_post_id)
    titles = lambda user: {t.title for t in forum.list_threads(user).items}  # noqa: E731
    assert titles(None) == titles(make_user()) == {"Public"}
    assert titles(asker) == titles(make_user(role="staff")) == {"Public", "Private"}
    assert public.id != private.id


def test_quote_names_and_links_the_quoted_post(asker, category):
    thread = threads.create_thread(asker, category.id, "Title", "line one\n\nline two")
    quote = posts.quote_markdown(asker, thread.last_post_id, "/p/1")
    assert quote == "> [quote from @asker](/p/1)\n>\n> line one\n>\n> line two\n\n"


def test_staff_category_threads_are_invisible_to_customers(asker, make_category, make_user):
    staff_only = make_category(visibility=Visibility.staff)
    with pytest.raises(PermissionDenied):
        threads.create_thread(asker, staff_only.id, "Title", "Body")
    assert forum.readable_categories(asker) == []


@pytest.mark.parametrize("thread_total, expect_more", [(10, False), (11, True)])
def test_uncounted_listing_knows_only_whether_more_exist(app, make_thread, make_category, thread_total, expect_more):
    from community.services import forum as forum_service

    category = make_category()
    for _ in range(thread_total):
        make_thread(category=category)
    page = forum_service.list_threads(None, per_page=10, count=False)
    assert len(page.items) == 10
    assert page.has_next is expect_more
