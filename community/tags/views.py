"""Tag pages, the watch buttons of categories and tags, and the admin page for tags."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import login_required

from .. import policies
from ..errors import ValidationFailed
from ..services.forum import page_number
from ..web.guards import require
from ..web.helpers import category_url, render_page, viewer
from ..web.links import link
from . import service, watching

bp = Blueprint("tags", __name__)
admin_bp = Blueprint("tags_admin", __name__, url_prefix="/admin/tags")
admin_bp.before_request(require(policies.can_manage_tags, "Only administrators can manage tags."))


def tag_url(name: str, **kwargs) -> str:
    return url_for("tags.tag", name=name, **kwargs) if kwargs else link("tags.tag", name=name)


@bp.app_context_processor
def inject_tag_url() -> dict:
    return {"tag_url": tag_url, "watch_levels": watching.LEVELS}


# --- reading ----------------------------------------------------------------------------------


@bp.route("/tag/<name>")
def tag(name: str):
    user = viewer()
    found = service.tag_for_viewer(user, name)
    if found.name != name:
        return redirect(tag_url(found.name, **request.args.to_dict(flat=True)), 301)
    threads = service.tag_threads(user, found, page_number(request.args.get("page")))
    return render_page(
        "forum/tag.html", tag=found, threads=threads, level=watching.tag_level(user, found),
        unread=watching.unread_counts(user, threads.items),
    )


# --- watching ---------------------------------------------------------------------------------


@bp.route("/c/<slug>/watch", methods=["POST"])
@login_required
def watch_category(slug: str):
    category, level = watching.set_category_level(viewer(), slug, request.form.get("level"))
    flash(f"{category.name}: {watching.LEVELS[level][0]}. {watching.LEVELS[level][1]}", "success")
    return redirect(category_url(category))


@bp.route("/tag/<name>/watch", methods=["POST"])
@login_required
def watch_tag(name: str):
    found, level = watching.set_tag_level(viewer(), name, request.form.get("level"))
    flash(f"Tag {found.name}: {watching.LEVELS[level][0]}. {watching.LEVELS[level][1]}", "success")
    return redirect(tag_url(found.name))


# --- admin ------------------------------------------------------------------------------------


@admin_bp.route("", methods=["GET", "POST"])
def index():
    if request.method == "GET":
        return _admin_page({}, "")
    typed = request.form.get("name", "")
    try:
        added = service.add_official(viewer(), typed)
    except ValidationFailed as failure:
        return _admin_page(failure.fields, typed, status=422)
    flash(f"Tag “{added.name}” is on the list.", "success")
    return redirect(url_for("tags_admin.index"))


def _admin_page(errors: dict, typed: str, status: int = 200):
    page = render_template(
        "admin/tags.html", tags=service.admin_tags(viewer()), free_tags=service.free_tags_allowed(),
        errors=errors, typed=typed, max_length=service.NAME_MAX, max_per_thread=service.MAX_PER_THREAD,
    )
    return page, status


@admin_bp.route("/settings", methods=["POST"])
def settings():
    free = request.form.get("free_tags") == "1"
    service.save_settings(viewer(), free)
    flash("Members may now make new tags." if free else "Members now pick from the list.", "success")
    return redirect(url_for("tags_admin.index"))


@admin_bp.route("/<int:tag_id>/delete", methods=["POST"])
def delete(tag_id: int):
    name = service.delete_tag(viewer(), tag_id)
    flash(f"Tag “{name}” deleted; no thread carries it any more.", "success")
    return redirect(url_for("tags_admin.index"))
