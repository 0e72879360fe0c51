"""Deciding whether a new post waits for review: pre-moderation of new accounts, watched words,
and spam heuristics (links from new accounts, repeated text, posting bursts).

Staff posts are never held. `screen_new_post` runs inside the posting transaction, before commit.
"""
from __future__ import annotations

import re
from datetime import timedelta
from functools import lru_cache
from typing import Optional

from flask import current_app
from sqlalchemy import func, select

from .. import policies
from ..errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from ..extensions import db
from ..models import Post, User, WatchedWord, utcnow
from . import audit

LINK_RE = re.compile(r"https?://|www\.", re.IGNORECASE)


def screen_new_post(user: Optional[User], post: Post) -> bool:
    """Mark `post` pending when a rule holds it; returns whether it is pending."""
    if user is None or policies.is_staff(user):
        return False
    # No autoflush: the new post must not be in the database yet, or it would count against itself.
    with db.session.no_autoflush:
        reason = hold_reason(user, post.body_markdown)
    post.is_pending, post.pending_reason = bool(reason), reason
    return bool(reason)


def hold_reason(user: User, body: str) -> str:
    """Why a post by `user` with this text must wait for review, or "" when it may go out."""
    checks = [_premoderated, _watched_word]
    if current_app.config["SPAM_CHECKS_ENABLED"]:
        checks += [_too_many_links, _repeated_text, _too_fast]
    for check in checks:
        reason = check(user, body)
        if reason:
            return reason
    return ""


def _earlier_posts(user: User):
    return select(func.count()).select_from(Post).where(Post.author_id == user.id)


def _premoderated(user: User, _body: str) -> str:
    first_n = int(current_app.config["PREMOD_FIRST_POSTS"])
    if first_n > 0 and (db.session.scalar(_earlier_posts(user)) or 0) < first_n:
        return f"new account: its first {first_n} posts are reviewed"
    return ""


def _watched_word(_user: User, body: str) -> str:
    words = watched_words()
    if not words:
        return ""
    found = watched_pattern(tuple(words)).search(body)
    return f"watched word: {found.group(0).lower()}" if found else ""


def watched_words() -> list[str]:
    return list(db.session.scalars(select(WatchedWord.word).order_by(WatchedWord.word)))


@lru_cache(maxsize=32)
def watched_pattern(words: tuple[str, ...]) -> re.Pattern:
    """Whole words, any case: "spam" matches "Spam!" but not "spammer"."""
    alternatives = "|".join(re.escape(word) for word in sorted(words, key=len, reverse=True))
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)


def is_new_account(user: User) -> bool:
    return user.created_at > utcnow() - timedelta(days=int(current_app.config["SPAM_NEW_ACCOUNT_DAYS"]))


def _too_many_links(user: User, body: str) -> str:
    limit = int(current_app.config["SPAM_MAX_LINKS_NEW_ACCOUNT"])
    links = len(LINK_RE.findall(body))
    if is_new_account(user) and links > limit:
        return f"{links} links from a new account (limit {limit})"
    return ""


def _repeated_text(user: User, body: str) -> str:
    since = utcnow() - timedelta(hours=int(current_app.config["SPAM_REPEAT_WINDOW_HOURS"]))
    same = db.session.scalar(
        _earlier_posts(user).where(Post.created_at >= since, Post.body_markdown == body)
    )
    return "the same text was posted again" if same else ""


def _too_fast(user: User, _body: str) -> str:
    limit = int(current_app.config["SPAM_BURST_POSTS"])
    window = int(current_app.config["SPAM_BURST_SECONDS"])
    if limit <= 0:
        return ""
    recent = db.session.scalar(_earlier_posts(user).where(Post.created_at >= utcnow() - timedelta(seconds=window)))
    return f"more than {limit} posts in {window} seconds" if (recent or 0) >= limit else ""


# --- the watched-words list (admins) ------------------------------------------------------------

WORD_RE = re.compile(r"[\w][\w'-]{0,62}[\w]|\w")


def add_watched_word(actor: Optional[User], raw: str | None) -> WatchedWord:

    if not policies.can_manage_watched_words(actor):
        raise PermissionDenied("Only admins can change the watched words.")
    word = (raw or "").strip().lower()
    if not WORD_RE.fullmatch(word):
        raise ValidationFailed("Please fix the marked fields.", fields={"word": "Enter one word (letters, digits, - or '), up to 64 characters."})
    if db.session.scalar(select(WatchedWord.id).where(WatchedWord.word == word)):
        raise Conflict(f"“{word}” is already on the list.")
    entry = WatchedWord(word=word, created_by_id=actor.id)
    db.session.add(entry)
    db.session.flush()
    audit.record(actor, "watched_word.add", "watched_word", entry.id, after={"word": word})
    db.session.commit()
    return entry


def remove_watched_word(actor: Optional[User], word_id: int) -> None:

    if not policies.can_manage_watched_words(actor):
        raise PermissionDenied("Only admins can change the watched words.")
    entry = db.session.get(WatchedWord, word_id)
    if entry is None:
        raise NotFound("That word is not on the list.")
    audit.record(actor, "watched_word.remove", "watched_word", entry.id, before={"word": entry.word})
    db.session.delete(entry)
    db.session.commit()


def watched_word_rows(actor: Optional[User]) -> list[WatchedWord]:

    if not policies.can_manage_watched_words(actor):
        raise PermissionDenied("Only admins can see the watched words.")
    return list(db.session.scalars(select(WatchedWord).order_by(WatchedWord.word)))
