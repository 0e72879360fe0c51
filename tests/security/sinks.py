"""The registry of sinks: every place user-, admin- or outside-controlled text is rendered.

A sink names the stored columns it renders, the templates that print them (the guard in
test_sink_guard.py fails when a template prints a marked column no sink lists), its kind, and a
seeding function that writes the XSS corpus into those columns and yields what to load in
Chromium, many vectors per load. `search` sinks run on both search backends.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterator

PAGE, JSON, EMAIL, WIDGET, CARD, OEMBED, FEED = "page", "json", "email", "widget", "card", "oembed", "feed"


@dataclass(frozen=True)
class Load:
    """A URL on the live server, or a document to show at a URL of its own (emails, feeds as a
    reader shows them, oEmbed HTML as a host page embeds it), and how many vectors it carries."""
    path: str
    vectors: int
    html: str | None = None


@dataclass(frozen=True)
class Sink:
    name: str
    kind: str
    columns: tuple[str, ...]
    templates: tuple[str, ...]
    seed: Callable[..., Iterator[Load]]
    images_allowed: bool = False  # Markdown images are allowed in posts, nowhere else
    search: bool = False
    frames_allowed: str = ""  # an oEmbed snippet is an iframe of our thread card, by design


def _seeds():
    from tests.security import sink_seeds
    return sink_seeds


def _lazy(name: str) -> Callable[..., Iterator[Load]]:
    return lambda *args: getattr(_seeds(), name)(*args)


LISTING_TEMPLATES = ("forum/category.html", "forum/_category_listing.html", "macros/threads.html",
                     "forum/listing.html", "forum/index.html", "forum/_home_listing.html", "forum/tag.html")
TITLE_TEMPLATES = LISTING_TEMPLATES + (
    "forum/thread.html", "forum/edit_post.html", "forum/revisions.html", "macros/forms.html", "inbox/index.html",
    "mod/flag.html", "mod/merge.html", "mod/move.html", "mod/queue.html", "dashboard/csat.html",
    "notifications/index.html", "widgets/_oembed_link.html", "widgets/thread_card.html", "feeds/atom.xml",
    "emails/_layout.html", "emails/accept_reminder.html", "emails/digest.html", "emails/notification.html",
    "search/search.html", "people/profile.html", "macros/nav.html",
)
NAME_TEMPLATES = (
    "base.html", "forum/thread.html", "answers/_post_badges.html", "answers/_thread_panel.html",
    "account/settings.html", "auth/_form.html", "mod/member.html", "mod/audit.html", "mod/queue.html",
    "mod/flag.html", "users_admin/index.html", "dashboard/index.html", "dashboard/_tables.html",
    "notifications/index.html", "bridge/inbox.html", "forum/revisions.html", "feeds/atom.xml",
    "emails/_layout.html", "emails/accept_reminder.html", "emails/change_email.html", "emails/email_changed.html",
    "emails/digest.html", "emails/notification.html", "emails/reset_password.html",
    "people/profile.html", "inbox/index.html", "macros/people.html", "answers/_solution.html",
) + LISTING_TEMPLATES
CATEGORY_TEMPLATES = LISTING_TEMPLATES + (
    "forum/categories.html", "forum/thread.html", "forum/composer.html", "feeds/_links.html", "feeds/atom.xml",
    "admin/_field.html", "admin/categories.html", "admin/category_form.html", "dashboard/index.html",
    "dashboard/_tables.html", "dashboard/sla.html", "inbox/index.html", "mod/move.html", "search/search.html",
    "widgets/form.html", "widgets/thread_card.html", "people/profile.html", "account/settings.html",
    "macros/nav.html",
)
TAG_TEMPLATES = LISTING_TEMPLATES + (
    "forum/thread.html", "forum/tag.html", "forum/composer.html", "forum/edit_post.html", "macros/tags.html",
    "macros/forms.html", "tags/_tags_field.html", "tags/_tag_filter.html", "admin/tags.html", "admin/_field.html",
    "account/settings.html",
)
BODY_TEMPLATES = (
    "forum/thread.html", "answers/_thread_panel.html", "forum/edit_post.html", "macros/forms.html",
    "mod/flag.html", "mod/queue.html", "feeds/atom.xml", "search/search.html", "emails/digest.html",
    "emails/notification.html", "forum/revisions.html", "answers/_solution.html", "people/profile.html",
)

SINKS: tuple[Sink, ...] = (
    Sink("thread titles on listings", PAGE, ("threads.title", "post_revisions.old_title", "post_revisions.new_title"),
         TITLE_TEMPLATES, _lazy("thread_titles")),
    Sink("post bodies and author names on threads", PAGE,
         ("posts.body_markdown", "post_revisions.old_body", "post_revisions.new_body", "post_revisions.reason",
          "users.display_name"),
         BODY_TEMPLATES + NAME_TEMPLATES, _lazy("post_bodies"), images_allowed=True),
    Sink("search results with highlights", PAGE, ("threads.title", "posts.body_markdown", "categories.name"),
         ("search/search.html",), _lazy("search_results"), search=True),
    Sink("member profile: name and bio", PAGE,
         ("users.display_name", "users.username", "users.bio", "users.email", "users.suspension_reason"),
         NAME_TEMPLATES, _lazy("profiles")),
    Sink("notification list", PAGE, ("threads.title", "users.display_name"),
         ("notifications/index.html",), _lazy("notifications")),
    Sink("digest and notification emails", EMAIL, ("threads.title", "posts.body_markdown", "users.display_name"),
         ("emails/_layout.html", "emails/digest.html", "emails/notification.html", "emails/accept_reminder.html",
          "emails/change_email.html", "emails/email_changed.html", "emails/reset_password.html"),
         _lazy("digest_emails")),
    Sink("CSAT emails", EMAIL, ("threads.title", "users.display_name"),
         ("emails/csat_request.html", "emails/_layout.html"), _lazy("csat_emails")),
    Sink("category names and descriptions (admin)", PAGE, ("categories.name", "categories.description"),
         CATEGORY_TEMPLATES, _lazy("categories")),
    Sink("tag names on chips and tag pages", PAGE, ("tags.name",),
         TAG_TEMPLATES, _lazy("tag_names")),
    Sink("tag facet on the search page", PAGE, ("tags.name",), ("search/search.html",), _lazy("search_tag_facets"),
         search=True),
    Sink("brand name, tagline and footer (admin)", PAGE, (), ("base.html",), _lazy("brand_text")),
    Sink("footer links (admin)", PAGE, (), ("base.html",), _lazy("footer_links")),
    Sink("custom CSS (admin)", PAGE, (), ("base.html",), _lazy("custom_css")),
    Sink("widget names and labels (admin)", PAGE,
         ("widgets.name", "widgets.tag", "widgets.allowed_origins", "widget_event_counts.origin"),
         ("widgets/index.html", "widgets/form.html", "admin/_field.html"), _lazy("widget_admin")),
    Sink("widget frame", WIDGET, ("threads.title", "categories.name"), ("widgets/frame.html",), _lazy("widget_frame")),
    Sink("thread card", CARD, ("threads.title", "categories.name"), ("widgets/thread_card.html",), _lazy("thread_cards")),
    Sink("oEmbed HTML", OEMBED, ("threads.title",), ("widgets/_oembed_link.html",), _lazy("oembed"),
         frames_allowed="http://localhost/embed/thread/"),
    Sink("solved Atom feed, as a reader shows it", FEED, ("threads.title", "posts.body_markdown", "users.display_name"),
         ("feeds/atom.xml", "feeds/_links.html"), _lazy("solved_feed"), images_allowed=True),
    Sink("composer preview (JSON put in with innerHTML)", JSON, ("posts.body_markdown",),
         ("macros/forms.html", "forum/composer.html"), _lazy("composer_preview"), images_allowed=True),
    Sink("moderation queue: flag notes", PAGE, ("flags.note", "flags.resolution", "posts.pending_reason"),
         ("mod/queue.html", "mod/flag.html", "mod/_post_badges.html"), _lazy("flag_notes")),
    Sink("X bridge inbox", PAGE,
         ("bridge_posts.text", "bridge_posts.author_name", "bridge_posts.author_username",
          "bridge_cases.author_name", "bridge_cases.author_username", "bridge_outbound.text",
          "bridge_outbound.last_error", "bridge_canned_responses.title", "bridge_canned_responses.body"),
         ("bridge/inbox.html", "bridge/canned.html"), _lazy("bridge_inbox")),
    Sink("X bridge landing page (/join)", PAGE, ("bridge_posts.text", "bridge_cases.author_username"),
         ("bridge/join.html", "bridge/join_confirm.html", "bridge/join_x.html"), _lazy("bridge_landing")),
)

# Where admin-only text is printed that the corpus run does not load: escaping there is checked by
# the guard's markers (autoescape, no Markup), and each is listed so a new template is a decision.
GUARDED_ONLY: tuple[Sink, ...] = (
    Sink("audit log reasons", PAGE, ("audit_entries.reason",), ("mod/audit.html", "people/profile.html"), _lazy("none")),
    Sink("watched words", PAGE, ("watched_words.word",), ("mod/watched_words.html",), _lazy("none")),
    Sink("search insights queries", PAGE, ("search_events.query",), ("search/insights.html",), _lazy("none")),
    Sink("API token names", PAGE, ("api_tokens.name",), ("account/tokens.html", "admin/_field.html"), _lazy("none")),
    Sink("sign-in providers", PAGE,
         ("identity_providers.name", "identity_providers.issuer", "identity_providers.client_id",
          "identity_providers.scopes", "identity_providers.groups_claim", "identity_providers.name_claim",
          "identity_providers.verified_customer_group", "identity_providers.staff_group",
          "identity_providers.moderator_group"),
         ("identity/admin.html", "identity/admin_form.html", "identity/link.html", "identity/signed_out.html",
          "auth/sign_in.html", "bridge/join.html", "admin/_field.html"), _lazy("none")),
    Sink("webhook endpoints and deliveries", PAGE,
         ("webhook_endpoints.url", "webhook_endpoints.description", "webhook_endpoints.disabled_reason",
          "webhook_deliveries.response_excerpt", "webhook_deliveries.error"),
         ("admin/webhooks.html", "admin/webhooks_form.html", "admin/webhooks_show.html", "admin/_field.html",
          "emails/webhook_disabled.html"), _lazy("none")),
    Sink("canned replies form", PAGE, ("bridge_canned_responses.title", "bridge_canned_responses.body"),
         ("admin/_field.html",), _lazy("none")),
    Sink("bridge status: poll errors", PAGE, ("bridge_poll_logs.error_message", "scheduled_runs.error"),
         ("bridge/status.html",), _lazy("none")),
    Sink("SLA breach emails", EMAIL, ("threads.title", "categories.name"), ("emails/sla_breach.html",), _lazy("none")),
)

# Page scripts that put a JSON field into the DOM as HTML, and the sink that covers each.
INNER_HTML_CONSUMERS = {"static/js/composer.js": ("html", "composer preview (JSON put in with innerHTML)")}


def covering(template: str, column: str) -> list[str]:
    return [sink.name for sink in SINKS + GUARDED_ONLY if template in sink.templates and column in sink.columns]
