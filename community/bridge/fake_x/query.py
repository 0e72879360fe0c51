"""The part of X's search query language the bridge uses: words, "phrases", @mentions, from:, to:,
lang:, is:reply / is:retweet / is:quote, negation with a leading -, and OR between groups.
Parentheses are ignored (groups are flat), which is enough for brand-mention queries."""
from __future__ import annotations

import re
from typing import Callable

from .state import FakePost, FakeUser

TOKEN = re.compile(r'-?(?:\w+:)?"[^"]*"|\S+')
Matcher = Callable[[FakePost], bool]


def compile_query(query: str, users: dict[str, FakeUser]) -> Matcher:
    cleaned = query.replace("(", " ").replace(")", " ")
    groups = [group.strip() for group in re.split(r"\s+OR\s+", cleaned) if group.strip()]
    if not groups:
        raise ValueError("empty query")
    alternatives = [[_term(token, users) for token in TOKEN.findall(group)] for group in groups]
    return lambda post: any(all(term(post) for term in terms) for terms in alternatives)


def _term(token: str, users: dict[str, FakeUser]) -> Matcher:
    if token.startswith("-") and len(token) > 1:
        positive = _term(token[1:], users)
        return lambda post: not positive(post)
    return _positive_term(token, users)


def _positive_term(token: str, users: dict[str, FakeUser]) -> Matcher:
    operator, _, value = token.partition(":")
    value = value.strip('"')
    if token.startswith("@"):
        return lambda post: post.mentions_username(token[1:])
    if value and operator == "from":
        return lambda post: _username(users, post.author_id) == value.lower()
    if value and operator == "to":
        return lambda post: _username(users, post.in_reply_to_user_id) == value.lower()
    if value and operator == "lang":
        return lambda post: post.lang == value
    if value and operator == "is":
        return _is_term(value)
    return _text_term(token.strip('"'))


def _is_term(value: str) -> Matcher:
    checks: dict[str, Matcher] = {
        "reply": lambda post: post.replied_to_id is not None,
        "retweet": lambda post: post.text.startswith("RT @"),
        "quote": lambda post: post.quoted_id is not None,
    }
    if value not in checks:
        raise ValueError(f"unsupported operator is:{value}")
    return checks[value]


def _text_term(words: str) -> Matcher:
    pattern = re.compile(r"(?<!\w)" + re.escape(words) + r"(?!\w)", re.IGNORECASE)
    return lambda post: bool(pattern.search(post.text))


def _username(users: dict[str, FakeUser], user_id: str | None) -> str | None:
    user = users.get(user_id) if user_id else None
    return user.username.lower() if user else None
