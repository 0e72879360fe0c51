"""Forum pages over HTTP: listings, slugs and redirects, pagination, composer, bad input, preview."""
import pytest
from sqlalchemy import event, func, select

from community.extensions import db
from community.models import CategorySlug, Post, Thread, Visibility
from community.services import posts, threads


@pytest.fixture
def member(make_user):
    return make_user(username="member")


@pytest.fixture
def signed_in(auth, member):
    auth.sign_in(member)
    return member


@pytest.fixture
def category(make_category):
    return make_category(name="Billing", description="Invoices and payments")


def _thread_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Thread))


# --- listings ---------------------------------------------------------------------------------


def test_home_shows_readable_categories_in_position_order_with_counts(client, make_category, make_thread):
    second = make_category(name="Second", position=2, description="Later one")
    first = make_category(name="First", position=1)
    make_category(name="Hidden", visibility=Visibility.staff)
    make_thread(category=second, title="A fresh question")
    page = client.get("/").get_data(as_text=True)
    # Latest threads first (above the fold on a phone), then the categories in their order.
    assert page.index("A fresh question") < page.index('id="categories-heading"')
    categories = page[page.index('id="categories-heading"'):]
    assert categories.index("First") < categories.index("Second") and "Hidden" not in page
    assert "1 thread" in categories and first.slug in categories
    assert "Later one" in client.get("/categories").get_data(as_text=True)


def test_category_page_lists_pinned_first_then_latest_activity(client, category, make_thread):
    old = make_thread(category=category, title="Old but pinned")
    make_thread(category=category, title="Newest")
    old.is_pinned = True
    db.session.commit()
    page = client.get(f"/c/{category.slug}").get_data(as_text=True)
    assert page.index("Old but pinned") < page.index("Newest")


def test_category_pagination_bad_and_out_of_range_pages(app, client, category, make_thread):
    app.config["THREADS_PER_PAGE"] = 2
    for n in range(3):
        make_thread(category=category, title=f"Thread {n}")
    assert client.get(f"/c/{category.slug}?page=abc").status_code == 200
    second = client.get(f"/c/{category.slug}?page=2").get_data(as_text=True)
    assert "Thread 0" in second and "Thread 2" not in second
    assert client.get(f"/c/{category.slug}?page=3").status_code == 404
    assert client.get(f"/c/{category.slug}?page=99999999999999999999").status_code == 404


def test_unanswered_lists_only_threads_without_replies(client, make_thread, make_post):
    answered = make_thread(title="Has an answer")
    make_post(thread=answered)
    make_thread(title="Still waiting")
    page = client.get("/unanswered").get_data(as_text=True)
    assert "Still waiting" in page and "Has an answer" not in page


def test_old_category_slug_redirects_permanently(client, category):
    db.session.add(CategorySlug(slug="old-billing", category_id=category.id))
    db.session.commit()
    response = client.get("/c/old-billing?page=1")
    assert response.status_code == 301 and response.location == f"/c/{category.slug}?page=1"
    assert client.get("/c/never-existed").status_code == 404


def test_wrong_thread_slug_redirects_to_canonical_url(client, make_thread):
    thread = make_thread(title="Canonical title")
    for url in (f"/t/{thread.id}", f"/t/{thread.id}-outdated-slug"):
        response = client.get(url)
        assert response.status_code == 301 and response.location == f"/t/{thread.id}-canonical-title"
    assert client.get(f"/t/{thread.id}-canonical-title").status_code == 200
    assert client.get("/t/999-nothing").status_code == 404


def test_thread_pagination_and_post_permalink(app, client, make_thread, make_post):
    app.config["POSTS_PER_PAGE"] = 2
    thread = make_thread(title="Long thread")
    replies = [make_post(thread=thread, body=f"Reply {n}") for n in range(3)]
    response = client.get(f"/p/{replies[2].id}")
    assert response.status_code == 302
    assert response.location == f"/t/{thread.id}-long-thread?page=2#post-{replies[2].id}"
    assert "Reply 2" in client.get(f"/t/{thread.id}-long-thread?page=2").get_data(as_text=True)
    assert client.get(f"/t/{thread.id}-long-thread?page=x").status_code == 200
    assert client.get(f"/t/{thread.id}-long-thread?page=3").status_code == 404


# --- composer and replies ---------------------------------------------------------------------


def test_composer_prefills_title_and_body_from_query(client, signed_in, category):
    page = client.get(f"/c/{category.slug}/new?title=Printer+jam&body=It+says+<b>E4</b>").get_data(as_text=True)
    assert 'value="Printer jam"' in page and "It says &lt;b&gt;E4&lt;/b&gt;" in page


def test_new_thread_page_offers_only_postable_categories(client, signed_in, category, make_category):
    make_category(name="Customers only", visibility=Visibility.customers)
    page = client.get("/new").get_data(as_text=True)
    assert "Billing" in page and "Customers only" not in page


def test_anonymous_composer_sends_to_sign_in(client, category):
    response = client.get(f"/c/{category.slug}/new")
    assert response.status_code == 302 and "/sign-in" in response.location


def test_creating_a_thread_redirects_to_it(client, signed_in, category):
    response = client.post("/new", data={"category": str(category.id), "title": "Refund?", "body": "Please"})
    thread = db.session.scalar(select(Thread))
    assert response.status_code == 302 and response.location == f"/t/{thread.id}-refund"
    assert thread.author_id == signed_in.id


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"title": "", "body": "Kept body text"}, "The title can&#39;t be empty."),
        ({"title": "T" * 151, "body": "Kept body text"}, "The title is too long"),
        ({"title": "Kept title", "body": ""}, "The post can&#39;t be empty."),
        ({"title": "Kept title", "body": "x" * 50_001}, "The post is too long"),
        ({"title": "Kept title", "body": "nul \x00 here"}, "NUL character"),
    ],
)
def test_bad_thread_input_rerenders_form_with_message_and_typed_text(client, signed_in, category, data, message):
    response = client.post(f"/c/{category.slug}/new", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and message in page
    kept = data["title"] or data["body"]
    assert kept[:40].replace("\x00", "") in page.replace("\x00", "")
    assert _thread_count() == 0


def test_invalid_utf8_bytes_are_refused_with_a_message(client, signed_in, category):
    response = client.post(
        f"/c/{category.slug}/new", data=b"title=Broken+bytes&body=\xff\xfe",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 422
    assert "not valid UTF-8" in response.get_data(as_text=True) and 'value="Broken bytes"' in response.get_data(as_text=True)
    assert _thread_count() == 0


def test_unknown_category_in_new_thread_form_is_a_field_error(client, signed_in, category):
    response = client.post("/new", data={"category": "abc", "title": "T", "body": "B"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "Choose a category" in page and 'value="T"' in page
    assert _thread_count() == 0


def test_reply_with_bad_input_keeps_text_and_writes_nothing(client, signed_in, make_thread):
    thread = make_thread()
    response = client.post(f"/t/{thread.id}/reply", data={"body": "x" * 50_001})
    assert response.status_code == 422 and "too long" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Post)) == 1


def test_reply_into_locked_or_deleted_thread_is_refused(client, signed_in, make_thread):
    locked, deleted = make_thread(title="Locked"), make_thread(title="Deleted")
    locked.is_locked = True
    deleted.deleted_at = deleted.created_at
    db.session.commit()
    for thread, reason in ((locked, "locked"), (deleted, "deleted")):
        response = client.post(f"/t/{thread.id}/reply", data={"body": "Hello"})
        assert response.status_code == 403 and reason in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Post)) == 2


def test_preview_button_renders_preview_without_saving(client, signed_in, category):
    response = client.post(f"/c/{category.slug}/new", data={"title": "T", "body": "**bold**", "preview": "1"})
    assert response.status_code == 200 and "<strong>bold</strong>" in response.get_data(as_text=True)
    assert _thread_count() == 0


def test_preview_endpoint_returns_sanitized_html(client, signed_in):
    response = client.post("/preview", json={"body": "**hi** <script>alert(1)</script>"})
    assert response.status_code == 200
    assert response.json["html"].startswith("<p><strong>hi</strong> &lt;script&gt;")
    assert client.post("/preview", data="not json", content_type="text/plain").status_code == 400


def test_preview_endpoint_needs_csrf_header(app, client, signed_in):
    app.config["WTF_CSRF_ENABLED"] = True
    assert client.post("/preview", json={"body": "x"}).status_code == 400


def test_quote_link_prefills_reply_box(client, signed_in, make_thread, make_user):
    author = make_user(username="quoted")
    thread = make_thread(author=author, body="Original words")
    opening = db.session.scalar(select(Post).where(Post.thread_id == thread.id))
    page = client.get(f"/t/{thread.id}-{thread.slug}?quote={opening.id}").get_data(as_text=True)
    assert f"&gt; [quote from @quoted](/p/{opening.id})" in page and "&gt; Original words" in page
    assert client.get(f"/p/{opening.id}/quote").json["markdown"].startswith("> [quote from @quoted]")


# --- edits, revisions, delete and restore -----------------------------------------------------


def test_revisions_page_visible_to_author_and_staff_only_and_escaped(client, auth, member, category, make_user):
    thread = threads.create_thread(member, category.id, "Title", "<b>old</b>")
    posts.edit_post(member, thread.last_post_id, "<script>new</script>")
    url = f"/p/{thread.last_post_id}/revisions"
    auth.sign_in(member)
    page = client.get(url).get_data(as_text=True)
    assert "&lt;script&gt;new&lt;/script&gt;" in page and "<script>new" not in page
    auth.sign_in(make_user(role="staff"))
    assert client.get(url).status_code == 200
    auth.sign_in(make_user())
    assert client.get(url).status_code == 403
    auth.sign_out()
    assert client.get(url).status_code == 403


def test_edit_form_changes_title_and_old_slug_redirects(client, signed_in, category):
    thread = threads.create_thread(signed_in, category.id, "First name", "Body")
    response = client.post(f"/p/{thread.last_post_id}/edit", data={"title": "Second name", "body": "Body 2"})
    assert response.status_code == 302
    assert client.get(f"/t/{thread.id}-first-name").location == f"/t/{thread.id}-second-name"


def test_deleted_reply_is_a_placeholder_for_others_and_staff_can_restore(client, auth, member, category, make_user):
    thread = threads.create_thread(member, category.id, "Title", "Body")
    reply = posts.create_reply(member, thread.id, "Regrettable words")
    auth.sign_in(member)
    assert client.post(f"/p/{reply.id}/delete").status_code == 302
    auth.sign_in(make_user())
    page = client.get(f"/t/{thread.id}-title").get_data(as_text=True)
    assert "Post deleted." in page and "Regrettable words" not in page
    assert client.post(f"/p/{reply.id}/restore").status_code == 404
    auth.sign_in(make_user(role="staff"))
    assert client.post(f"/p/{reply.id}/restore").status_code == 302
    assert db.session.get(Post, reply.id).deleted_at is None


# --- query counts -----------------------------------------------------------------------------


def _queries(client, url) -> int:
    db.session.expunge_all()  # an identity-map hit would hide a lazy load per row
    seen = []
    listener = lambda *args: seen.append(1)  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        assert client.get(url).status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    return len(seen)


def test_listing_and_thread_pages_use_a_constant_number_of_queries(app, client, category, make_thread, make_post, make_user):
    app.config["PAGE_CACHE_ENABLED"] = False  # count the render, not a cache hit
    thread = make_thread(category=category, title="Busy")
    make_post(thread=thread)
    urls = ["/", "/latest", f"/c/{category.slug}", f"/t/{thread.id}-busy"]
    [_queries(client, url) for url in urls]  # warm-up: branding and the like are cached after
    few = [_queries(client, url) for url in urls]
    for _ in range(8):
        make_thread(category=category, author=make_user())
        make_post(thread=thread, author=make_user())
    assert [_queries(client, url) for url in urls] == few


def test_percent_encoded_invalid_utf8_is_refused_the_same_way(client, signed_in, category):
    response = client.post(
        f"/c/{category.slug}/new", data=b"title=Broken+bytes&body=ok%FF%FEok",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 422 and "not valid UTF-8" in response.get_data(as_text=True)
    assert _thread_count() == 0


def test_private_checkbox_creates_a_private_thread(client, signed_in, category):
    client.post(f"/c/{category.slug}/new", data={"title": "Account number", "body": "Mine is 42", "private": "y"})
    thread = db.session.scalar(select(Thread))
    assert thread.is_private and category.thread_count == 0


def test_unreadable_quote_parameter_is_ignored(client, signed_in, make_thread, make_user):
    secret = make_thread(author=make_user(), body="Secret words", is_private=True)
    thread = make_thread(title="Open thread")
    hidden_post = db.session.scalar(select(Post).where(Post.thread_id == secret.id))
    response = client.get(f"/t/{thread.id}-open-thread?quote={hidden_post.id}")
    assert response.status_code == 200 and "Secret words" not in response.get_data(as_text=True)


def test_json_clients_get_json_errors_and_created_urls(client, signed_in, make_thread):
    thread = make_thread()
    refused = client.post(f"/t/{thread.id}/reply", json={"body": ""})
    assert refused.status_code == 422 and refused.json["error"]["fields"] == {"body": "The post can't be empty."}
    created = client.post(f"/t/{thread.id}/reply", json={"body": "Fine"})
    assert created.status_code == 201 and created.json["url"].startswith("/p/")
    too_long = client.post("/preview", json={"body": "x" * 50_001})
    assert too_long.status_code == 422 and "too long" in too_long.json["error"]["fields"]["body"]


def test_invalid_utf8_is_refused_the_same_way_with_csrf_on(app, client, signed_in, category):
    app.config["WTF_CSRF_ENABLED"] = True
    page = client.get(f"/c/{category.slug}/new").get_data(as_text=True)
    token = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    response = client.post(
        f"/c/{category.slug}/new", data=b"csrf_token=" + token.encode() + b"&title=Raw&body=\xff\xfe",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 422 and "not valid UTF-8" in response.get_data(as_text=True)
    assert _thread_count() == 0
