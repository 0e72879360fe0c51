"""The small social-network client interface the bridge talks to, with its result and error types.

Implementations (x_api.XApiClient) turn every wire-level outcome into one of these types, so the
bridge never sees HTTP. Ids are always strings: X ids exceed 2**53 and JavaScript-style float ids
would silently lose digits.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, Literal, Mapping, Protocol, TypeVar, runtime_checkable

T = TypeVar("T")

LimitScope = Literal["window", "app_day", "user_day"]


@dataclass(frozen=True)
class LimitWindow:
    limit: int | None
    remaining: int | None
    reset_at: datetime | None


@dataclass(frozen=True)
class RateLimitInfo:
    """The rate-limit headers of one response: the 15-minute window and, on writes, the 24-hour caps."""

    window: LimitWindow | None = None
    app_day: LimitWindow | None = None
    user_day: LimitWindow | None = None

    def exhausted(self) -> list[tuple[LimitScope, LimitWindow]]:
        scopes: list[tuple[LimitScope, LimitWindow | None]] = [
            ("window", self.window), ("app_day", self.app_day), ("user_day", self.user_day)]
        return [(name, lim) for name, lim in scopes if lim is not None and lim.remaining == 0]


@dataclass(frozen=True)
class SocialUser:
    id: str
    username: str
    name: str = ""
    followers_count: int | None = None  # from public_metrics, when the answer had it


@dataclass(frozen=True)
class SocialPost:
    id: str
    text: str
    author_id: str | None = None
    created_at: datetime | None = None
    conversation_id: str | None = None
    in_reply_to_user_id: str | None = None
    replied_to_id: str | None = None
    quoted_id: str | None = None
    lang: str | None = None
    mentions: tuple[str, ...] = ()
    author: SocialUser | None = None
    retweeted_id: str | None = None
    mention_ids: tuple[str, ...] = ()  # ids of mentioned accounts, when the network resolved them
    # The post object as received, kept for audit and re-processing; not part of equality.
    raw: Mapping[str, Any] | None = field(default=None, compare=False, hash=False)


@dataclass(frozen=True)
class PartialError:
    """An item-level problem reported next to data in a successful response."""

    title: str
    detail: str
    type: str = ""
    resource_type: str | None = None
    resource_id: str | None = None


@dataclass(frozen=True)
class Result(Generic[T]):
    value: T
    rate_limit: RateLimitInfo = field(default_factory=RateLimitInfo)
    partial_errors: tuple[PartialError, ...] = ()
    # How many ids arrived as JSON numbers instead of strings (tolerated, but a sign of a bad proxy).
    coerced_ids: int = 0


@dataclass(frozen=True)
class Page:
    posts: tuple[SocialPost, ...]
    next_token: str | None = None
    newest_id: str | None = None
    oldest_id: str | None = None
    rate_limit: RateLimitInfo = field(default_factory=RateLimitInfo)
    partial_errors: tuple[PartialError, ...] = ()
    coerced_ids: int = 0


# --- errors ------------------------------------------------------------------------------------


class SocialError(Exception):
    """Base of every client failure; carries the HTTP status and rate limits when there was an answer."""

    def __init__(self, message: str, *, status: int | None = None,
                 rate_limit: RateLimitInfo | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.rate_limit = rate_limit or RateLimitInfo()


class AuthError(SocialError):
    """Missing, expired (and not refreshable) or wrong kind of credentials."""


class RateLimited(SocialError):
    """429. `scope` says which limit: the 15-minute window or a 24-hour cap (app or user)."""

    def __init__(self, message: str, *, scope: LimitScope, reset_at: datetime | None, **kwargs) -> None:
        super().__init__(message, **kwargs)
        self.scope = scope
        self.reset_at = reset_at

    @property
    def is_daily_cap(self) -> bool:
        return self.scope != "window"


class ServerError(SocialError):
    """5xx from the network itself; safe to retry reads, writes may need reconciling."""


class Timeout(SocialError):
    """No answer in time."""


class ConnectionDropped(SocialError):
    """The connection failed. `request_sent` tells whether the server may have acted on it."""

    def __init__(self, message: str, *, request_sent: bool, **kwargs) -> None:
        super().__init__(message, **kwargs)
        self.request_sent = request_sent


class UnknownOutcome(ConnectionDropped):
    """A write was sent and no usable answer came back: the caller must look before retrying."""

    def __init__(self, message: str, **kwargs) -> None:
        kwargs.setdefault("request_sent", True)
        super().__init__(message, **kwargs)


class WriteTimeout(Timeout, UnknownOutcome):
    """A write timed out after being sent: both a timeout and an unknown outcome."""


class DuplicateContent(SocialError):
    """The network refuses a post whose text repeats one of ours."""


class NotPermitted(SocialError):
    """Forbidden, e.g. replying to a post that did not mention or quote the brand account."""


class TextTooLong(SocialError):
    """The post text exceeds the network's weighted length."""


class NotFound(SocialError):
    pass


class InvalidRequest(SocialError):
    """A 4xx the caller caused that has no more specific type."""


class BadResponse(SocialError):
    """The answer could not be understood: not JSON, an HTML proxy page, or required fields missing."""


class UnreadableWriteResponse(BadResponse, UnknownOutcome):
    """A write got a 2xx whose body could not be read: it probably happened, but we lack its id."""


# --- the interface -----------------------------------------------------------------------------


@runtime_checkable
class SocialClient(Protocol):
    """What the bridge needs from a social network; XApiClient is the X implementation."""

    def get_me(self) -> Result[SocialUser]: ...

    def get_mentions(self, user_id: str, since_id: str | None = None,
                     pagination_token: str | None = None) -> Page: ...

    def search_recent(self, query: str, since_id: str | None = None,
                      next_token: str | None = None) -> Page: ...

    def get_user_posts(self, user_id: str, pagination_token: str | None = None) -> Page: ...

    def create_post(self, text: str, in_reply_to: str | None = None) -> Result[SocialPost]: ...

    def delete_post(self, post_id: str) -> Result[bool]: ...
