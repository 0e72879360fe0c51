"""Live preview of a widget's unsaved settings on the widgets page.

The draft is validated like a save, but never persisted: it becomes a plain `WidgetDraft`, not a
Widget row, so nothing can flush it. Its payload comes from the same code as a live widget's,
so the preview shows exactly what the embed would, and only public content.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from ..errors import ValidationFailed
from ..models.widgets import WidgetKind, WidgetSort, WidgetTheme
from .links import WidgetLinks
from .service import clean_form, require_manager, widget_payload, widget_search_results


@dataclass
class WidgetDraft:
    """The attributes widget_payload and widget_search_results read from a Widget."""

    kind: WidgetKind
    theme: WidgetTheme
    sort: WidgetSort
    language: str
    item_count: int
    tag: str
    categories: list = field(default_factory=list)
    id: int | None = None


def _draft(user, form: Mapping[str, Any], widget_id: int | None) -> WidgetDraft:
    require_manager(user)
    # The name and the origins matter only when saving; a half-typed draft still previews.
    values, errors = clean_form(
        {**form, "name": form.get("name") or "Preview", "allowed_origins": "https://preview.example"}
    )
    if errors:
        raise ValidationFailed("Please correct the marked fields.", fields=errors)
    return WidgetDraft(
        kind=values["kind"], theme=values["theme"], sort=values["sort"], language=values["language"],
        item_count=values["item_count"], tag=values["tag"], categories=values["categories"], id=widget_id,
    )


def preview(user, form: Mapping[str, Any], links: WidgetLinks, widget_id: int | None = None) -> dict[str, Any]:
    """The JSON a widget with these (unsaved) settings would get from /embed/w/ID.json."""
    payload = widget_payload(_draft(user, form, widget_id), links)
    payload["preview"] = True
    return payload


def preview_search(user, form: Mapping[str, Any], query: str, links: WidgetLinks) -> dict[str, Any]:
    """Live search results as the draft search widget would show them."""
    return widget_search_results(_draft(user, form, None), query, links)
