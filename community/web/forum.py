"""Categories, listings, threads and posts: parse the request, call a service, render or redirect."""
from __future__ import annotations

from datetime import datetime
from typing import Callable

from flask import Blueprint, abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from markupsafe import Markup

from .. import policies
from ..errors import ServiceError, ValidationFailed
from ..page_cache import store as page_cache
from ..services import forum, posts, threads
from ..models import WatchLevel
from ..services.forum import Page
from ..tags import service as tag_service, watching
from . import reader
from .forms import EditForm, ReplyForm, ThreadForm, int_or_none, is_preview, posting_limit
from .helpers import category_url, post_url, render_page, thread_url, viewer
from .thread_page import invalid_submission, last_page, post_url_for, render_thread, submitted

bp = Blueprint("forum", __name__)


def _query_args() -> dict[str, str]:
    return request.args.to_dict(flat=True)


# --- listings ---------------------------------------------------------------------------------


@bp.route("/")
def index():
    user = viewer()
    if _has_mutes(user):  # made for this reader alone: the threads they muted left out
        return render_page("forum/index.html", listing=Markup(_home_listing(user, True, _unmuted(user))[0]))
    listing = _shared_listing("home", LISTING_DEPS, user, lambda own: _home_listing(user, own))
    return render_page("forum/index.html", listing=listing)


def _home_listing(user, own: bool, where: tuple = ()) -> tuple[str, Page]:
    # The home page shows a "more" link, never page numbers: skip counting every thread.
    latest = forum.list_threads(user, per_page=10, count=False, own=own, where=where)
    html = render_template("forum/_home_listing.html", categories=forum.readable_categories(user), threads=latest)
    return html, latest


def _shared_listing(
    name: str, deps: tuple[str, ...], user, render: Callable[[bool], tuple[str, Page]], category=None
) -> Markup:
    """A listing's HTML, rendered once per audience and kept in the page cache under `deps` (the
    generations the whole cached page would depend on); the page around it (header, bell,
    buttons) stays per reader. `category`: the listing is that category's (pinned threads first).

    `render(own)` gives the HTML and the page of threads it shows. A reader whose own private or
    held threads would appear in it gets a render of their own (own=True), never the shared one."""
    if not page_cache.enabled(current_app):
        return Markup(render(True)[0])
    key = page_cache.page_key(f"fragment:{name}:{forum.listing_audience(user)}", _fragment_variant())
    cached, token = page_cache.lookup(key)
    if cached is not None:
        since = datetime.fromisoformat(cached.oldest_shown) if cached.oldest_shown else None
        if not reader.has_own_hidden_thread(user, since, category):
            return Markup(cached.body.decode())
        return Markup(render(True)[0])
    html, page = render(False)
    since = _oldest_activity(page)
    fragment = page_cache.CachedPage(html.encode(), "text/html", oldest_shown=since.isoformat() if since else None)
    page_cache.store(key, fragment, deps, token)
    if reader.has_own_hidden_thread(user, since, category):
        return Markup(render(True)[0])
    return Markup(html)


# What a shared listing shows changes with any thread or post (LISTINGS) and with names, categories
# and settings (GLOBAL): the generations the cached home page depends on.
LISTING_DEPS = (page_cache.GLOBAL, page_cache.LISTINGS)


def _oldest_activity(page: Page) -> datetime | None:
    """The oldest activity a listing shows when it is full (a newer own thread would displace a
    row); None when it is not, since any own thread would then be listed."""
    if len(page.items) < page.per_page:
        return None
    return min(thread.last_activity_at for thread in page.items)


def _fragment_variant() -> str:
    return f"{request.host_url}|{request.script_root}|{current_app.config['THREADS_PER_PAGE']}"


@bp.route("/categories")
def categories():
    return render_page("forum/categories.html", categories=forum.readable_categories(viewer()))


@bp.route("/latest")
def latest():
    user, state, tag = viewer(), _state_arg(), _tag_arg()
    where = _tagged(tag) + _unmuted(user)
    page = forum.list_threads(user, state=state, page=forum.page_number(request.args.get("page")), where=where)
    return render_page(
        "forum/listing.html", heading="Latest", threads=page, endpoint="forum.latest", state=state, tag=tag,
        unread=_unread(user, page.items),
    )


def _tag_arg():
    """?tag=<name> narrows a listing to one tag (404 for a tag the reader can't know); None without."""
    name = request.args.get("tag")
    return tag_service.tag_for_viewer(viewer(), name) if name else None


def _tagged(tag) -> tuple:
    return (tag_service.tagged(tag),) if tag is not None else ()


def _unmuted(user) -> tuple:
    return (watching.not_muted(user),) if _has_mutes(user) else ()


def _has_mutes(user) -> bool:
    return not reader.sets_no_watch_level(user) and watching.has_mutes(user)


def _unread(user, threads) -> dict:
    return {} if reader.sets_no_watch_level(user) else watching.unread_counts(user, threads)


def _state_arg() -> str | None:
    """?state=unanswered|unsolved|solved; anything else lists every thread."""
    state = request.args.get("state")
    return state if state in forum.STATE_FILTERS else None


@bp.route("/unanswered")
def unanswered():
    page = forum.list_threads(viewer(), unanswered=True, page=forum.page_number(request.args.get("page")))
    return render_page(
        "forum/listing.html", heading="Unanswered", threads=page, endpoint="forum.unanswered",
        empty="Every thread has a reply. Nice work!",
    )


@bp.route("/c/<slug>")
def category(slug: str):
    user = viewer()
    found, renamed = forum.category_for_viewer(user, slug)
    if renamed:
        return redirect(category_url(found, **_query_args()), 301)
    state, tag = _state_arg(), _tag_arg()
    number = forum.page_number(request.args.get("page"))
    # A tag filter, or the reader's unread counts: a listing made for this request alone.
    personal = tag is not None or (not reader.sets_no_watch_level(user) and watching.tracks_anything(user))

    def render(own: bool) -> tuple[str, Page]:
        page = forum.list_threads(user, category=found, state=state, page=number, own=own, where=_tagged(tag))
        unread = _unread(user, page.items) if personal else {}
        html = render_template("forum/_category_listing.html", category=found, threads=page, state=state, tag=tag, unread=unread)
        return html, page

    deps = (page_cache.GLOBAL, page_cache.category_gen(found.id))
    if personal:
        listing = Markup(render(True)[0])
    else:
        listing = _shared_listing(f"category:{found.id}:{state}:{number}", deps, user, render, category=found)
    return render_page(
        "forum/category.html", category=found, listing=listing, can_start=policies.can_start_thread(user, found),
        level=WatchLevel.normal if reader.sets_no_watch_level(user) else watching.category_level(user, found),
        can_watch=policies.can_watch_category(user, found),
    )


# --- composer ---------------------------------------------------------------------------------


@bp.route("/c/<slug>/new", methods=["GET", "POST"])
@posting_limit
def new_thread_in(slug: str):
    found, renamed = forum.category_for_viewer(viewer(), slug)
    if renamed and request.method == "GET":
        return redirect(url_for("forum.new_thread_in", slug=found.slug, **_query_args()), 301)
    return _composer(found)


@bp.route("/new", methods=["GET", "POST"])
@posting_limit
def new_thread():
    return _composer(None)


def _composer(fixed_category):
    user = viewer()
    if user is None and request.method == "GET":
        return redirect(url_for("auth.sign_in", next=request.full_path))
    if fixed_category is not None:
        threads.require_can_start_thread(user, fixed_category)
    if request.method == "GET":
        form = ThreadForm(formdata=None, data=_composer_prefill(fixed_category))
        return _render_composer(form, fixed_category)
    form = ThreadForm()
    category_id = fixed_category.id if fixed_category else int_or_none(form.category.data)
    if is_preview():
        return _render_composer(form, fixed_category, preview=posts.preview_html(user, form.body.data))
    try:
        created = threads.create_thread(
            user, category_id, form.title.data, form.body.data, is_private=bool(form.private.data),
            tags=form.tags.data,
        )
    except ValidationFailed as error:
        return invalid_submission(error, lambda: _render_composer(form, fixed_category, errors=error.fields, status=422))
    _flash_if_held(created)
    return submitted(thread_url(created))


def _composer_prefill(fixed_category) -> dict:
    # Search ("ask the community") and widgets link here with ?title=...&body=...
    prefill = {"title": request.args.get("title", ""), "body": request.args.get("body", "")}
    prefill["category"] = str(fixed_category.id) if fixed_category else request.args.get("category", "")
    prefill["tags"] = request.args.get("tags", "")
    return prefill


def _render_composer(form, fixed_category, errors=None, preview=None, status=200):
    user = viewer()
    choices = [fixed_category] if fixed_category else forum.postable_categories(user)
    if not choices:
        abort(403, threads.posting_refusal(user) if not policies.can_post(user) else "There is no category you can post in.")
    return render_page(
        "forum/composer.html", status, form=form, category=fixed_category, choices=choices,
        errors=errors or {}, preview=preview, tag_choices=tag_service.composer_choices(),
    )


# --- a thread and its replies -----------------------------------------------------------------


@bp.route("/t/<int:thread_id>-<slug>")
@bp.route("/t/<int:thread_id>", defaults={"slug": ""})
def thread(thread_id: int, slug: str):
    user = viewer()
    found, merged = forum.thread_or_merge_target(user, thread_id)
    if merged:
        return redirect(thread_url(found), 301)
    if slug != found.slug:
        return redirect(thread_url(found, **_query_args()), 301)
    # No CSRF field on the form object: building one writes a token into the session, which would
    # make every anonymous thread view set a cookie (and never be page-cached). The template's
    # forms carry csrf() themselves, and only readers who can post see them.
    form = ReplyForm(formdata=None, data={"body": _quote_prefill(user, request.args.get("quote"))}, meta={"csrf": False})
    if not reader.sets_no_watch_level(user):
        watching.note_read(user, found)  # tracking's unread counts
    return render_thread(found, forum.page_number(request.args.get("page")), form)


def _quote_prefill(user, raw_post_id) -> str:
    post_id = int_or_none(raw_post_id)
    if post_id is None:
        return ""
    try:
        return posts.quote_markdown(user, post_id, post_url_for(post_id))
    except ServiceError:
        return ""  # a stale or foreign ?quote= must not break the page it is on


@bp.route("/t/<int:thread_id>/reply", methods=["POST"])
@posting_limit
def reply(thread_id: int):
    user = viewer()
    form = ReplyForm()
    if is_preview():
        found = posts.reply_target(user, thread_id)
        preview = posts.preview_html(user, form.body.data)
        return render_thread(found, last_page(found), form, preview=preview)
    try:
        created = posts.create_reply(user, thread_id, form.body.data, int_or_none(form.reply_to.data))
    except ValidationFailed as error:
        found = forum.thread_for_viewer(user, thread_id)
        return invalid_submission(error, lambda: render_thread(found, last_page(found), form, errors=error.fields, status=422))
    _flash_if_held(created)
    return submitted(post_url(created))


def _flash_if_held(post) -> None:
    if post.is_pending:
        flash("Thanks! Your post is waiting for a moderator to review it; only you and staff can see it until then.", "info")


# --- single posts -----------------------------------------------------------------------------


@bp.route("/p/<int:post_id>")
def post_permalink(post_id: int):
    found, page = forum.post_location(viewer(), post_id)
    args = {"page": page} if page > 1 else {}
    return redirect(thread_url(found, **args) + f"#post-{post_id}")


@bp.route("/p/<int:post_id>/quote")
def quote(post_id: int):
    """The quote markdown for composer.js (the no-JS path is ?quote=<id> on the thread page)."""
    return jsonify(markdown=posts.quote_markdown(viewer(), post_id, post_url_for(post_id)))


@bp.route("/p/<int:post_id>/edit", methods=["GET", "POST"])
def edit_post(post_id: int):
    user = viewer()
    post = posts.editable_post(user, post_id)
    if request.method == "GET":
        data = {"title": post.thread.title, "body": post.body_markdown, "tags": tag_service.tags_text(post.thread)}
        return _edit_page(post, EditForm(formdata=None, data=data))
    form = EditForm()
    if is_preview():
        return _edit_page(post, form, preview=posts.preview_html(user, form.body.data))
    try:
        # A form without the tags field (an old tab, a script) keeps the thread's tags.
        tags = form.tags.data if post.is_opening and "tags" in request.form else None
        posts.edit_post(user, post_id, form.body.data, form.title.data, form.reason.data or "", tags=tags)
    except ValidationFailed as error:
        return invalid_submission(error, lambda: _edit_page(post, form, errors=error.fields, status=422))
    flash("Your changes are saved.", "success")
    return redirect(post_url(post))


def _edit_page(post, form, errors=None, preview=None, status=200):
    return render_page(
        "forum/edit_post.html", status, post=post, form=form, errors=errors or {}, preview=preview,
        tag_choices=tag_service.composer_choices() if post.is_opening else None,
    )


@bp.route("/p/<int:post_id>/delete", methods=["POST"])
def delete_post(post_id: int):
    post = posts.delete_post(viewer(), post_id)
    if post.is_opening:
        flash("The thread was deleted.", "success")
        return redirect(category_url(post.thread.category))
    flash("The post was deleted.", "success")
    return redirect(post_url(post))


@bp.route("/p/<int:post_id>/restore", methods=["POST"])
def restore_post(post_id: int):
    post = posts.restore_post(viewer(), post_id)
    flash("The post was restored.", "success")
    return redirect(post_url(post))


@bp.route("/p/<int:post_id>/revisions")
def revisions(post_id: int):
    post, history = posts.post_revisions(viewer(), post_id)
    return render_page("forum/revisions.html", post=post, history=history)


@bp.route("/preview", methods=["POST"])
def preview():
    """Live preview for composer.js: JSON {"body": ...} in, {"html": ...} out (CSRF header required)."""
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict) or not isinstance(payload.get("body", ""), str):
        return jsonify(error={"status": 400, "code": "bad_request", "message": 'Send JSON like {"body": "..."}.'}), 400
    try:
        html = posts.preview_html(viewer(), payload.get("body", ""))
    except ValidationFailed as error:
        return invalid_submission(error, None)
    return jsonify(html=html)
