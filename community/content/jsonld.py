"""schema.org structured data for thread pages: QAPage for solved threads, DiscussionForumPosting
otherwise. Pure functions over plain values; the caller decides whether a page may carry it."""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from markupsafe import Markup

SUGGESTED_LIMIT = 5
TEXT_LIMIT = 2_000

# JSON inside <script> must not be able to close the tag or open a comment.
_HTML_UNSAFE = {ord("<"): "\\u003c", ord(">"): "\\u003e", ord("&"): "\\u0026", 0x2028: "\\u2028", 0x2029: "\\u2029"}


@dataclass(frozen=True)
class Entry:
    """One post as the structured data sees it."""

    text: str
    author: str
    created_at: datetime
    url: str
    upvotes: int = 0


def _answer(entry: Entry) -> dict[str, Any]:
    return {
        "@type": "Answer",
        "text": entry.text[:TEXT_LIMIT],
        "dateCreated": entry.created_at.isoformat(),
        "upvoteCount": entry.upvotes,
        "url": entry.url,
        "author": {"@type": "Person", "name": entry.author},
    }


def qa_page(title: str, question: Entry, answer_count: int, accepted: Entry | None, others: list[Entry]) -> dict[str, Any]:
    main: dict[str, Any] = {
        "@type": "Question",
        "name": title,
        "text": question.text[:TEXT_LIMIT],
        "answerCount": answer_count,
        "dateCreated": question.created_at.isoformat(),
        "author": {"@type": "Person", "name": question.author},
        "url": question.url,
    }
    if accepted is not None:
        main["acceptedAnswer"] = _answer(accepted)
    if others:
        main["suggestedAnswer"] = [_answer(entry) for entry in others[:SUGGESTED_LIMIT]]
    return {"@context": "https://schema.org", "@type": "QAPage", "mainEntity": main}


def discussion(title: str, opening: Entry, comment_count: int) -> dict[str, Any]:
    return {
        "@context": "https://schema.org",
        "@type": "DiscussionForumPosting",
        "headline": title,
        "text": opening.text[:TEXT_LIMIT],
        "datePublished": opening.created_at.isoformat(),
        "author": {"@type": "Person", "name": opening.author},
        "url": opening.url,
        "commentCount": comment_count,
    }


def script_json(data: dict[str, Any]) -> Markup:
    """The JSON for a <script type="application/ld+json"> body, safe against tag breakouts."""
    return Markup(json.dumps(data, ensure_ascii=False).translate(_HTML_UNSAFE))
