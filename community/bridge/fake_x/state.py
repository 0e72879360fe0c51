"""Everything the fake X remembers: users, posts, tokens, rate-limit windows and queued faults.

All mutation goes through FakeState methods under one lock, because the server answers requests on
several threads while a test seeds or inspects it from another.
"""
from __future__ import annotations

import re
import secrets
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Callable

MENTION = re.compile(r"(?<![\w@])@(\w{1,15})")
# API-created posts get 19-digit ids above anything seeded, like real snowflake ids.
FIRST_API_POST_ID = 1_900_000_000_000_000_000
WINDOW_SECONDS = 15 * 60
DAY_SECONDS = 24 * 3600
TOKEN_LIFETIME = 7200

# Per 15-minute window, per credential, as in X's published limits (writes from the recordings).
DEFAULT_WINDOW_LIMITS = {
    "GET /2/users/me": 75,
    "GET /2/users/:id/mentions": 450,
    "GET /2/tweets/search/recent": 450,
    "GET /2/users/:id/tweets": 1500,
    "POST /2/tweets": 200,
    "DELETE /2/tweets/:id": 50,
}
DEFAULT_DAY_LIMITS = {"app": 1667, "user": 100}
FAULT_KINDS = {"status", "slow", "timeout", "crash", "partial", "html", "invalid_json", "numeric_ids",
               "missing_field"}


@dataclass
class FakeUser:
    id: str
    username: str
    name: str


@dataclass
class FakePost:
    id: str
    author_id: str
    text: str
    created_at: datetime
    conversation_id: str
    in_reply_to_user_id: str | None = None
    replied_to_id: str | None = None
    quoted_id: str | None = None
    lang: str = "en"
    via_api: bool = False
    deleted: bool = False

    @property
    def mentions(self) -> list[tuple[int, int, str]]:
        return [(m.start(), m.end(), m.group(1)) for m in MENTION.finditer(self.text)]

    def mentions_username(self, username: str) -> bool:
        return any(name.lower() == username.lower() for _, _, name in self.mentions)


@dataclass
class Fault:
    kind: str
    endpoint: str = "*"
    status: int = 503
    delay: float = 0.0
    times: int = 1

    def matches(self, endpoint: str) -> bool:
        return self.endpoint in ("*", endpoint)


@dataclass
class Window:
    limit: int
    remaining: int
    reset: int


@dataclass
class UserToken:
    user_id: str
    expires_at: float
    scope: str


@dataclass
class OAuthClient:
    client_id: str
    redirect_uri: str
    secret: str | None = None


@dataclass
class AuthCode:
    client_id: str
    user_id: str
    redirect_uri: str
    challenge: str
    method: str
    scope: str


@dataclass
class FakeState:
    clock: Callable[[], float] = time.time
    users: dict[str, FakeUser] = field(default_factory=dict)
    posts: dict[str, FakePost] = field(default_factory=dict)
    app_tokens: set[str] = field(default_factory=set)
    user_tokens: dict[str, UserToken] = field(default_factory=dict)
    refresh_tokens: dict[str, UserToken] = field(default_factory=dict)
    clients: dict[str, OAuthClient] = field(default_factory=dict)
    codes: dict[str, AuthCode] = field(default_factory=dict)
    authorize_user_id: str | None = None
    window_limits: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_WINDOW_LIMITS))
    day_limits: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_DAY_LIMITS))
    windows: dict[tuple, Window] = field(default_factory=dict)
    faults: list[Fault] = field(default_factory=list)
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False)

    def reset(self) -> None:
        with self.lock:
            fresh = FakeState(clock=self.clock)
            for name in self.__dataclass_fields__:
                if name not in ("lock", "clock"):
                    setattr(self, name, getattr(fresh, name))

    # --- seeding ---

    def add_user(self, username: str, name: str | None = None, user_id: str | None = None) -> FakeUser:
        with self.lock:
            user_id = str(user_id) if user_id is not None else self._free_user_id()
            user = FakeUser(user_id, username, name or username)
            self.users[user_id] = user
            return user

    def _free_user_id(self) -> str:
        candidate = 1000 + len(self.users) + 1
        while str(candidate) in self.users:
            candidate += 1
        return str(candidate)

    def user_by_username(self, username: str) -> FakeUser | None:
        lowered = username.lower().lstrip("@")
        return next((u for u in self.users.values() if u.username.lower() == lowered), None)

    def add_post(self, author_id: str, text: str, *, post_id: str | None = None,
                 created_at: datetime | None = None, in_reply_to_tweet_id: str | None = None,
                 quote_tweet_id: str | None = None, lang: str = "en", via_api: bool = False) -> FakePost:
        with self.lock:
            post_id = str(post_id) if post_id is not None else self._next_post_id()
            parent = self.posts.get(str(in_reply_to_tweet_id)) if in_reply_to_tweet_id else None
            post = FakePost(
                id=post_id, author_id=str(author_id), text=text,
                created_at=created_at or datetime.fromtimestamp(self.clock(), timezone.utc),
                conversation_id=parent.conversation_id if parent else (str(in_reply_to_tweet_id or post_id)),
                in_reply_to_user_id=parent.author_id if parent else None,
                replied_to_id=str(in_reply_to_tweet_id) if in_reply_to_tweet_id else None,
                quoted_id=str(quote_tweet_id) if quote_tweet_id else None,
                lang=lang, via_api=via_api)
            self.posts[post_id] = post
            return post

    def _next_post_id(self) -> str:
        highest = max((int(pid) for pid in self.posts), default=0)
        return str(max(FIRST_API_POST_ID, highest + 1))

    def visible_posts(self) -> list[FakePost]:
        """Live posts, newest first (X timelines are ordered by id, descending)."""
        with self.lock:
            live = [post for post in self.posts.values() if not post.deleted]
        return sorted(live, key=lambda post: int(post.id), reverse=True)

    # --- credentials ---

    def add_app_token(self, token: str | None = None) -> str:
        token = token or "app-" + secrets.token_urlsafe(16)
        with self.lock:
            self.app_tokens.add(token)
        return token

    def issue_user_tokens(self, user_id: str, scope: str = "tweet.read tweet.write users.read offline.access",
                          lifetime: int = TOKEN_LIFETIME) -> dict:
        with self.lock:
            access, refresh = "user-" + secrets.token_urlsafe(16), "refresh-" + secrets.token_urlsafe(16)
            grant = UserToken(str(user_id), self.clock() + lifetime, scope)
            self.user_tokens[access] = grant
            self.refresh_tokens[refresh] = grant
        return {"token_type": "bearer", "expires_in": lifetime, "access_token": access,
                "scope": scope, "refresh_token": refresh}

    def expire_user_token(self, access_token: str) -> None:
        with self.lock:
            if access_token in self.user_tokens:
                self.user_tokens[access_token].expires_at = self.clock() - 1

    def live_user_token(self, access_token: str) -> UserToken | None:
        with self.lock:
            grant = self.user_tokens.get(access_token)
        return grant if grant and grant.expires_at > self.clock() else None

    def rotate_refresh_token(self, refresh_token: str) -> dict | None:
        """Refresh tokens are single-use on X: using one retires it."""
        with self.lock:
            grant = self.refresh_tokens.pop(refresh_token, None)
            return self.issue_user_tokens(grant.user_id, grant.scope) if grant else None

    def add_client(self, client_id: str, redirect_uri: str, secret: str | None = None) -> OAuthClient:
        with self.lock:
            client = OAuthClient(client_id, redirect_uri, secret)
            self.clients[client_id] = client
            return client

    # --- rate limits ---

    def set_window_limit(self, endpoint: str, limit: int, remaining: int | None = None) -> None:
        with self.lock:
            self.window_limits[endpoint] = limit
            for key in [key for key in self.windows if key[0] == endpoint]:
                del self.windows[key]
            if remaining is not None:
                self.windows[(endpoint, "*")] = Window(limit, remaining, self._reset_in(WINDOW_SECONDS))

    def set_day_limit(self, scope: str, limit: int, remaining: int | None = None) -> None:
        with self.lock:
            self.day_limits[scope] = limit
            for key in [key for key in self.windows if key[0] == f"day:{scope}"]:
                del self.windows[key]
            if remaining is not None:
                self.windows[(f"day:{scope}", "*")] = Window(limit, remaining, self._reset_in(DAY_SECONDS))

    def window(self, endpoint: str, credential: str) -> Window:
        return self._current(endpoint, credential, self.window_limits.get(endpoint, 900), WINDOW_SECONDS)

    def day_window(self, scope: str, credential: str) -> Window:
        return self._current(f"day:{scope}", credential, self.day_limits[scope], DAY_SECONDS)

    def _current(self, key: str, credential: str, limit: int, seconds: int) -> Window:
        with self.lock:
            # A window preset by set_*_limit(remaining=...) applies to whichever credential comes first.
            preset = self.windows.pop((key, "*"), None)
            if preset:
                self.windows[(key, credential)] = preset
            window = self.windows.get((key, credential))
            if window is None or window.reset <= self.clock():
                window = Window(limit, limit, self._reset_in(seconds))
                self.windows[(key, credential)] = window
            return window

    def _reset_in(self, seconds: int) -> int:
        return int(self.clock()) + seconds

    # --- faults ---

    def add_fault(self, kind: str, endpoint: str = "*", status: int = 503, delay: float = 0.0,
                  times: int = 1) -> Fault:
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; known: {sorted(FAULT_KINDS)}")
        with self.lock:
            fault = Fault(kind, endpoint, int(status), float(delay), int(times))
            self.faults.append(fault)
            return fault

    def take_fault(self, endpoint: str) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if fault.matches(endpoint):
                    fault.times -= 1
                    if fault.times <= 0:
                        self.faults.remove(fault)
                    return fault
        return None
