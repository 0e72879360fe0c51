"""The widget links of this request's community, from the routes (the edge side of links.py)."""
from __future__ import annotations

from flask import url_for

from .links import OembedLinks, WidgetLinks


def widget_links() -> WidgetLinks:
    return WidgetLinks(
        community=url_for("forum.index"), search=url_for("search.search"), ask=url_for("forum.new_thread"),
        thread=lambda thread_id, slug: url_for("forum.thread", thread_id=thread_id, slug=slug),
        search_for=lambda query: url_for("search.search", q=query),
    )


def oembed_links() -> OembedLinks:
    return OembedLinks(
        community=url_for("forum.index", _external=True),
        thread=lambda thread_id, slug: url_for("forum.thread", thread_id=thread_id, slug=slug, _external=True),
        card=lambda thread_id: url_for("embed.thread_card", key=str(thread_id), _external=True),
        oembed=lambda page: url_for("embed.oembed", url=page, format="json", _external=True),
    )
