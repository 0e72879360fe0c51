"""Template helpers: branding, viewer, URLs for rows, and date filters."""
from __future__ import annotations

from datetime import datetime, timezone

from flask import Flask, Response, g, redirect, render_template, url_for
from flask_login import current_user
from markupsafe import Markup

from .. import policies
from ..content import contrast
from ..content.markdown import render_short_markdown
from ..people import service as people
from ..services import avatars, branding as branding_service
from . import formatting, fragments
from .links import link, query_link, template_url_for
from .reader import current_branding


def viewer():
    """The signed-in user, or None for an anonymous visitor (what the policies expect)."""
    return current_user._get_current_object() if current_user.is_authenticated else None


def render_page(template: str, status: int = 200, **context):
    """A page with its status; every page's template gets the policies for its permission checks."""
    return render_template(template, policies=policies, **context), status


def branding() -> dict:
    if "branding" not in g:
        g.branding = current_branding()
    return g.branding


def thread_url(thread, **kwargs) -> str:
    if kwargs or not thread.slug:
        return url_for("forum.thread", thread_id=thread.id, slug=thread.slug, **kwargs)
    return link("forum.thread", thread_id=thread.id, slug=thread.slug)


def solution_url(thread) -> str:
    return link("answers.solution", thread_id=thread.id)


def category_url(category, **kwargs) -> str:
    if kwargs:
        return url_for("forum.category", slug=category.slug, **kwargs)
    return link("forum.category", slug=category.slug)


def post_url(post) -> str:
    return link("forum.post_permalink", post_id=post.id)


def profile_url(user) -> str:
    return link("people.profile", username=user.username)


def humanize_time(value: datetime | None) -> str:
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    seconds = int((datetime.now(timezone.utc) - value).total_seconds())
    if seconds < 60:
        return "just now"
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            if unit == "d" and seconds >= 30 * 86400:
                return value.strftime("%b %-d, %Y")
            return f"{seconds // size}{unit} ago"
    return "just now"


def brand_css() -> Response:
    """Brand colours and the admin's custom CSS, served as a stylesheet (the CSP bans inline styles)."""
    brand = branding()
    primary = _css_color(brand['primary_color'], '#1f5eff')
    # Links in the brand colour, moved just enough to keep AA contrast in each scheme (site.css --link).
    link_light, link_dark = contrast.link_colours(primary)
    css = (
        ":root{"
        f"--brand-primary:{primary};"
        f"--brand-accent:{_css_color(brand['accent_color'], '#ff7a1a')};"
        f"--brand-link-light:{link_light};--brand-link-dark:{link_dark};"
        f"--on-primary:{contrast.text_on(primary)};"
        "}\n" + _css_text(brand)
    )
    response = Response(css, mimetype="text/css")
    response.headers["Cache-Control"] = "no-cache"
    return response


def _css_color(value: str, fallback: str) -> str:
    import re

    return value if isinstance(value, str) and re.fullmatch(r"#(?:[0-9a-fA-F]{3,4}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})", value) else fallback


def _css_text(brand: dict) -> str:
    # Custom CSS is admin-written, and checked when saved; checked again here for rows saved before
    # the rules (content/css.py): what they refuse is dropped, with a CSS comment saying why.
    return branding_service.served_custom_css(brand)


def init_app(app: Flask) -> None:
    app.add_url_rule("/brand.css", "brand_css", brand_css)
    # Browsers ask for /favicon.ico whatever the page says; send them to the SVG icon.
    app.add_url_rule("/favicon.ico", "favicon", lambda: redirect(url_for("static", filename="favicon.svg"), 301))
    app.jinja_env.filters["timeago"] = humanize_time
    formatting.init_app(app)  # isotime, plural, counted
    app.jinja_env.filters["short_markdown"] = lambda text: Markup(render_short_markdown(text or ""))
    app.jinja_env.filters["initials"] = avatars.initials  # generated avatars (templates/macros/people.html)
    app.jinja_env.globals["url_for"] = template_url_for  # url_for from kept patterns (web/links.py)
    app.jinja_env.globals["query_link"] = query_link  # url_for for query-string links, without the rule walk
    app.jinja_env.globals["last_posters"] = people.last_posters  # listing rows (templates/macros/threads.html)
    app.jinja_env.tests["footer_url"] = branding_service.is_footer_url  # old rows are checked again
    fragments.init_app(app)  # avatar_html, person_html, tag_chips_html: markup rows repeat

    @app.context_processor
    def inject() -> dict:
        # The viewer first: a signed-in reader's row comes with the branding version (web/reader.py).
        reader = viewer()
        return {
            "brand": branding(),
            "viewer": reader,
            "thread_url": thread_url,
            "category_url": category_url,
            "post_url": post_url,
            "solution_url": solution_url,
            "profile_url": profile_url,
        }
