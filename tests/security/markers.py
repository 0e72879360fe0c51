"""Marker strings in every user-, admin- and outside-controlled text column of a seeded community.

Each marked column gets its own marker appended to every row: ` <mkN>"'&` where N names the column.
Escaped, a marker reads `&lt;mkN&gt;`; a raw `<mkN>` in a page means the field reached the output
unescaped, and the sanitizer's allowlist has no `mkN` tag, so it would have been stripped there.

Every String/Text column of the metadata is either MARKED or UNMARKED (with the reason): a column
nobody classified fails the guard, so a new field is a decision, not an oversight.
"""
from __future__ import annotations

import re

from sqlalchemy import Enum, String, Text, text

from community.content.markdown import render_markdown
from community.extensions import db
from community.models.base import Base

# Text a member, an admin, an X user, an embedding site or a remote webhook receiver controls.
MARKED: tuple[str, ...] = (
    "users.display_name", "users.email", "users.bio", "users.suspension_reason",
    "categories.name", "categories.description", "tags.name",
    "threads.title", "posts.body_markdown", "posts.pending_reason",
    "post_revisions.old_title", "post_revisions.new_title", "post_revisions.old_body",
    "post_revisions.new_body", "post_revisions.reason",
    "flags.note", "flags.resolution", "audit_entries.reason", "watched_words.word",
    "csat_surveys.comment", "search_events.query", "api_tokens.name",
    "widgets.name", "widgets.tag", "widgets.allowed_origins", "widget_event_counts.origin",
    "webhook_endpoints.url", "webhook_endpoints.description", "webhook_endpoints.disabled_reason",
    "webhook_deliveries.response_excerpt", "webhook_deliveries.error",
    "bridge_canned_responses.title", "bridge_canned_responses.body",
    "bridge_posts.text", "bridge_posts.author_username", "bridge_posts.author_name",
    "bridge_cases.author_username", "bridge_cases.author_name",
    "bridge_outbound.text", "bridge_outbound.last_error",
    "bridge_opt_outs.author_username", "bridge_opt_outs.reason",
    "bridge_account_links.username", "bridge_poll_logs.error_message", "scheduled_runs.error",
    "attachments.name",  # in posts.body_html (escaped in content/attachment_refs.py), the queue, the flag page, emails
    "attachment_flags.note", "attachment_flags.resolution",  # readers' notes on a file, shown in the staff queue
    # sign-in providers, typed by admins at /admin/identity and shown there and on the sign-in page
    "identity_providers.name", "identity_providers.issuer", "identity_providers.client_id", "identity_providers.scopes",
    "identity_providers.groups_claim", "identity_providers.name_claim", "identity_providers.verified_customer_group",
    "identity_providers.staff_group", "identity_providers.moderator_group",
)

UNMARKED: dict[str, str] = {
    # Secrets, hashes and lookup keys: never shown, and marking them would break the lookups.
    **{name: "secret or hash, never rendered" for name in (
        "users.password_hash", "api_tokens.token_hash", "bridge_invites.token_hash", "bridge_invites.nonce",
        "webhook_endpoints.secret", "used_tokens.token_id", "revoked_logins.login_id",
        "identity_providers.client_secret", "identity_logins.login_id", "identity_logins.id_token",
    )},
    **{name: "identity provider's opaque ids and slugs ([a-z0-9-], checked): lookup keys, never rendered" for name in (
        "identity_providers.slug", "identity_links.provider", "identity_links.subject", "identity_logins.provider",
        "identity_logins.subject", "identity_logins.sid",
    )},
    "identity_links.email": "the provider's email claim when the link was made; never rendered (users.email is)",
    **{name: "a composer draft: only its owner's composer_drafts.js reads it, into a textarea's value (never HTML); "
       "tests/composer/test_composer_browser.py loads script and image vectors through it" for name in ("drafts.body", "drafts.title")},
    "drafts.scope": "a checked lookup key (thread:<id>, new, new:<id>, post:<id>), never rendered",
    **{name: "lookup key derived from a marked column (slugs route URLs; normalised email finds accounts)"
       for name in ("users.email_normalized", "categories.slug", "category_slugs.slug", "threads.slug",
                    "users.avatar_path", "api_tokens.prefix")},
    # Closed vocabularies the code writes: one of a fixed set of values, never free text.
    **{name: "closed vocabulary written by the code" for name in (
        "bridge_cursors.network", "bridge_cursors.source", "bridge_poll_logs.network", "bridge_poll_logs.source",
        "bridge_join_rejections.day", "bridge_join_rejections.reason", "bridge_opt_outs.network",
        "deflection_events.kind", "external_refs.source", "external_refs.kind", "scheduled_runs.task",
        "search_events.kind", "search_words.level", "site_settings.key", "webhook_events.type",
        "audit_entries.action", "audit_entries.target_type", "bridge_account_links.network",
        "notification_preferences.kind", "used_tokens.purpose", "widgets.language",
        "bridge_cases.network", "bridge_cases.label", "bridge_cases.classifier_version",
        "metrics_thread_facts.channel", "metrics_thread_facts.state", "sla_breaches.kind",
        "widget_event_counts.kind", "bridge_outbound.network", "bridge_posts.network", "bridge_posts.source",
        "bridge_posts.lang", "bridge_posts.label", "bridge_posts.classifier_version",
        "metrics_post_sentiment.label", "metrics_post_sentiment.classifier_version", "notifications.kind",
    )},
    # Identifiers: X's numeric ids and cursors, our own dedupe keys.
    **{name: "opaque identifier (numeric X id, cursor or dedupe key), never free text" for name in (
        "bridge_cursors.since_id", "bridge_poll_logs.cursor_before", "bridge_poll_logs.cursor_after",
        "bridge_opt_outs.author_id", "deflection_events.compose_id", "external_refs.external_id",
        "webhook_events.event_id", "webhook_events.dedupe_key", "bridge_account_links.network_user_id",
        "bridge_cases.conversation_id", "bridge_cases.author_id", "bridge_outbound.in_reply_to_post_id",
        "bridge_outbound.conversation_id", "bridge_outbound.author_id", "bridge_outbound.link_hash",
        "bridge_outbound.remote_post_id", "bridge_posts.post_id", "bridge_posts.author_id",
        "bridge_posts.conversation_id", "bridge_posts.in_reply_to_post_id", "bridge_posts.in_reply_to_user_id",
        "bridge_posts.quoted_post_id", "notifications.event_key",
    )},
    # Derived from marked columns and rebuilt after marking (the search index) or re-rendered.
    **{name: "derived: rebuilt from the marked source columns" for name in (
        "search_documents.title", "search_documents.body", "search_documents.tags",
        "search_documents.category_name", "search_documents.stamp", "search_documents.visibility",
        "search_documents.state", "search_ranks.visibility", "search_ranks.state", "search_words.word",
    )},
    "posts.body_html": "the sanitizer's output: re-rendered from the marked body_markdown",
    "attachments.content_type": "closed vocabulary: read from the bytes by community/attachments, never sent by the browser",
    "attachments.sha256": "hex digest the code computes, never rendered",
    "attachments.storage_key": "random storage key the code makes, never rendered",
    "attachments.thumbnail_key": "random storage key the code makes, never rendered",
    "users.username": "only [a-z0-9_-] (accounts.USERNAME_RE, checked at sign-up and on /u/ lookups)",
    "users.color_scheme": "one of auto, light, dark (accounts.set_color_scheme refuses anything else); base.html prints it only when light or dark",
}

MARKER = re.compile(r"<mk(\d+)>")
ESCAPED_MARKER = re.compile(r"&lt;mk(\d+)&gt;")


def marker_for(index: int) -> str:
    return f" <mk{index}>\"'&"


def column_of(index: int) -> str:
    return MARKED[index]


def text_columns() -> set[str]:
    """Every String/Text column (not an Enum) in the metadata, as "table.column"."""
    return {
        f"{table.name}.{column.name}"
        for table in Base.metadata.sorted_tables
        for column in table.columns
        if isinstance(column.type, (String, Text)) and not isinstance(column.type, Enum)
    }


APPEND_ONLY = {"audit_entries"}  # a trigger refuses UPDATE: a marked copy of the newest row is added


def _append_marked_copy(table: str, column: str, marker: str) -> None:
    names = [c.name for c in Base.metadata.tables[table].columns if c.name != "id"]
    chosen = ", ".join(f"COALESCE({n}, '') || :marker" if n == column else n for n in names)
    db.session.execute(
        text(f"INSERT INTO {table} ({', '.join(names)}) SELECT {chosen} FROM {table} ORDER BY id DESC LIMIT 1"),
        {"marker": marker},
    )


def mark_every_column() -> None:
    """Append each column's marker to every row, then re-render post bodies through the sanitizer."""
    for index, name in enumerate(MARKED):
        table, column = name.split(".")
        if table in APPEND_ONLY:
            _append_marked_copy(table, column, marker_for(index))
            continue
        db.session.execute(
            text(f"UPDATE {table} SET {column} = {column} || :marker WHERE {column} IS NOT NULL"),
            {"marker": marker_for(index)},
        )
    rows = db.session.execute(text("SELECT id, body_markdown FROM posts")).all()
    for post_id, body in rows:
        db.session.execute(text("UPDATE posts SET body_html = :html WHERE id = :id"),
                           {"html": render_markdown(body), "id": post_id})
    db.session.commit()
