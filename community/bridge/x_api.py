"""X API v2 over httpx: the SocialClient the bridge uses in production (and against the fake X).

Reads use the app bearer token; get_me and writes use the brand's OAuth 2.0 user token (PKCE), which
is refreshed once on expiry or on a 401 and handed to `on_tokens_refreshed` so the caller can store
the rotated pair (X refresh tokens are single-use). The base URL is configurable so tests and the
offline demo point it at fake_x. This is the only module that imports httpx.
"""
from __future__ import annotations

import base64
import hashlib
import json
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Callable
from urllib.parse import urlencode

import httpx

from .client import (
    AuthError, BadResponse, ConnectionDropped, DuplicateContent, InvalidRequest, LimitWindow, NotFound,
    NotPermitted, Page, PartialError, RateLimited, RateLimitInfo, Result, ServerError, SocialError,
    SocialPost, SocialUser, TextTooLong, Timeout, UnknownOutcome, UnreadableWriteResponse,
    WriteTimeout,
)

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://api.x.com"
DEFAULT_AUTHORIZE_ENDPOINT = "https://x.com/i/oauth2/authorize"
BRAND_SCOPES = ("tweet.read", "tweet.write", "users.read", "offline.access")
TWEET_FIELDS = "created_at,conversation_id,in_reply_to_user_id,referenced_tweets,entities,lang,author_id"
USER_FIELDS = "username,name,public_metrics"
# Refresh a little before the stated expiry so a request does not race the deadline.
EXPIRY_SKEW = timedelta(seconds=60)


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


# --- OAuth 2.0 with PKCE -----------------------------------------------------------------------


@dataclass(frozen=True)
class UserTokens:
    access_token: str
    refresh_token: str | None = None
    expires_at: datetime | None = None
    scope: str = ""

    def expired(self, now: datetime) -> bool:
        return self.expires_at is not None and now >= self.expires_at - EXPIRY_SKEW


@dataclass(frozen=True)
class Pkce:
    verifier: str
    challenge: str
    method: str = "S256"


def new_pkce() -> Pkce:
    verifier = secrets.token_urlsafe(64)[:96]
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return Pkce(verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii"))


def authorize_url(*, client_id: str, redirect_uri: str, state: str, pkce: Pkce,
                  scopes: tuple[str, ...] = BRAND_SCOPES,
                  authorize_endpoint: str = DEFAULT_AUTHORIZE_ENDPOINT) -> str:
    query = {
        "response_type": "code", "client_id": client_id, "redirect_uri": redirect_uri,
        "scope": " ".join(scopes), "state": state,
        "code_challenge": pkce.challenge, "code_challenge_method": pkce.method,
    }
    return f"{authorize_endpoint}?{urlencode(query)}"


class XOAuth:
    """The token endpoint: exchange an authorization code, refresh a token pair."""

    def __init__(self, *, client_id: str, client_secret: str | None = None, base_url: str = DEFAULT_BASE_URL,
                 timeout: float = 10.0, transport: httpx.BaseTransport | None = None) -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self._http = httpx.Client(base_url=base_url, timeout=timeout, transport=transport)

    def exchange_code(self, *, code: str, code_verifier: str, redirect_uri: str) -> UserTokens:
        return self._token_request({"grant_type": "authorization_code", "code": code,
                                    "redirect_uri": redirect_uri, "code_verifier": code_verifier})

    def refresh(self, refresh_token: str) -> UserTokens:
        return self._token_request({"grant_type": "refresh_token", "refresh_token": refresh_token})

    def close(self) -> None:
        self._http.close()

    def _token_request(self, form: dict[str, str]) -> UserTokens:
        form["client_id"] = self.client_id
        # Confidential clients authenticate with Basic; public (PKCE-only) clients send client_id alone.
        auth = (self.client_id, self.client_secret) if self.client_secret else None
        response = _send(self._http, "POST", "/2/oauth2/token", write=False, data=form, auth=auth)
        body = _decode_json(response)
        if response.status_code >= 400 or body is None:
            raise _token_error(response.status_code, body)
        return _tokens_from(body)


def _token_error(status: int, body: dict | None) -> SocialError:
    if body is None:
        return BadResponse(f"token endpoint answered {status} without JSON", status=status)
    if status >= 500:
        return ServerError(f"token endpoint failed: {status}", status=status)
    description = body.get("error_description") or body.get("error") or "token request refused"
    return AuthError(str(description), status=status)


def _tokens_from(body: dict) -> UserTokens:
    access = body.get("access_token")
    if not isinstance(access, str) or not access:
        raise BadResponse("token response has no access_token")
    expires_in = body.get("expires_in")
    expires_at = _utcnow() + timedelta(seconds=int(expires_in)) if isinstance(expires_in, int) else None
    return UserTokens(access, body.get("refresh_token"), expires_at, str(body.get("scope", "")))


# --- transport and decoding --------------------------------------------------------------------


def _send(http: httpx.Client, method: str, path: str, *, write: bool, **kwargs) -> httpx.Response:
    """One HTTP exchange, with transport failures turned into client errors.

    For a write, anything after the request left us (read timeout, dropped connection) means the
    post may exist: that is UnknownOutcome, never a plain retryable error.
    """
    try:
        return http.request(method, path, **kwargs)
    except httpx.ConnectTimeout as exc:
        raise Timeout(f"connect timeout: {exc}") from exc
    except httpx.TimeoutException as exc:
        raise (WriteTimeout if write else Timeout)(f"{method} {path} timed out") from exc
    except httpx.ConnectError as exc:
        raise ConnectionDropped(f"cannot connect: {exc}", request_sent=False) from exc
    except httpx.TransportError as exc:
        if write:
            raise UnknownOutcome(f"{method} {path}: connection dropped before the answer") from exc
        raise ConnectionDropped(f"{method} {path}: connection dropped", request_sent=True) from exc


def _decode_json(response: httpx.Response) -> dict | None:
    """The body as a JSON object whatever the content type claims; None when it is not one."""
    try:
        body = json.loads(response.content)
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def _int_header(headers: httpx.Headers, name: str) -> int | None:
    try:
        return int(headers[name])
    except (KeyError, ValueError):
        return None


def _limit_window(headers: httpx.Headers, prefix: str) -> LimitWindow | None:
    limit, remaining, reset = (_int_header(headers, prefix + part) for part in ("limit", "remaining", "reset"))
    if limit is None and remaining is None and reset is None:
        return None
    reset_at = datetime.fromtimestamp(reset, timezone.utc) if reset is not None else None
    return LimitWindow(limit, remaining, reset_at)


def parse_rate_limit(headers: httpx.Headers) -> RateLimitInfo:
    return RateLimitInfo(
        window=_limit_window(headers, "x-rate-limit-"),
        app_day=_limit_window(headers, "x-app-limit-24hour-"),
        user_day=_limit_window(headers, "x-user-limit-24hour-"),
    )


def _problem_texts(body: dict | None) -> list[str]:
    if not body:
        return []
    texts = [str(body.get(key, "")) for key in ("title", "detail", "type", "error")]
    for item in body.get("errors") or []:
        if isinstance(item, dict):
            texts += [str(item.get(key, "")) for key in ("message", "detail", "title", "type")]
    return [text for text in texts if text]


def _rate_limited(status: int, rate: RateLimitInfo) -> RateLimited:
    exhausted = rate.exhausted()
    if exhausted:
        # When several limits are spent, the caller must wait for the one that resets last.
        scope, window = max(exhausted, key=lambda pair: pair[1].reset_at or datetime.min.replace(tzinfo=timezone.utc))
    else:
        scope, window = "window", rate.window
    reset_at = window.reset_at if window else None
    return RateLimited(f"rate limited ({scope}) until {reset_at}", scope=scope, reset_at=reset_at,
                       status=status, rate_limit=rate)


def _error_for(response: httpx.Response, body: dict | None, rate: RateLimitInfo) -> SocialError:
    status = response.status_code
    if status == 429:
        return _rate_limited(status, rate)
    if body is None:
        snippet = response.text[:120].replace("\n", " ")
        return BadResponse(f"{status} answer is not JSON: {snippet!r}", status=status, rate_limit=rate)
    texts = _problem_texts(body)
    message = "; ".join(texts) or f"HTTP {status}"
    lowered = message.lower()
    kind: type[SocialError]
    if status == 401:
        kind = AuthError
    elif status == 403:
        kind = _forbidden_kind(lowered)
    elif status == 400:
        kind = TextTooLong if "too long" in lowered else InvalidRequest
    elif status == 404:
        kind = NotFound
    elif status >= 500:
        kind = ServerError
    else:
        kind = InvalidRequest
    return kind(message, status=status, rate_limit=rate)


def _forbidden_kind(lowered: str) -> type[SocialError]:
    if "duplicate content" in lowered:
        return DuplicateContent
    if "unsupported-authentication" in lowered or "client-forbidden" in lowered:
        return AuthError
    return NotPermitted


# --- decoding payloads -------------------------------------------------------------------------


class _Decoder:
    """Builds typed values from a response body, tolerating numeric ids but counting them."""

    def __init__(self, endpoint: str, status: int) -> None:
        self.endpoint = endpoint
        self.status = status
        self.coerced_ids = 0

    def id(self, value: Any, where: str) -> str:
        if isinstance(value, str) and value:
            return value
        if isinstance(value, int) and not isinstance(value, bool):
            self.coerced_ids += 1
            log.warning("X API %s returned %s as a number; converted to a string", self.endpoint, where)
            return str(value)
        raise BadResponse(f"{self.endpoint}: {where} missing or not an id", status=self.status)

    def optional_id(self, value: Any, where: str) -> str | None:
        return None if value is None else self.id(value, where)

    def user(self, raw: Any) -> SocialUser:
        if not isinstance(raw, dict):
            raise BadResponse(f"{self.endpoint}: user is not an object", status=self.status)
        metrics = raw.get("public_metrics") if isinstance(raw.get("public_metrics"), dict) else {}
        followers = metrics.get("followers_count")
        return SocialUser(self.id(raw.get("id"), "user.id"), str(raw.get("username", "")), str(raw.get("name", "")),
                          followers if isinstance(followers, int) and not isinstance(followers, bool) else None)

    def post(self, raw: Any, authors: dict[str, SocialUser]) -> SocialPost:
        if not isinstance(raw, dict) or not isinstance(raw.get("text"), str):
            raise BadResponse(f"{self.endpoint}: post without text", status=self.status)
        references = {ref.get("type"): ref.get("id") for ref in raw.get("referenced_tweets") or []
                      if isinstance(ref, dict)}
        author_id = self.optional_id(raw.get("author_id"), "post.author_id")
        return SocialPost(
            id=self.id(raw.get("id"), "post.id"),
            text=raw["text"],
            author_id=author_id,
            created_at=_parse_time(raw.get("created_at")),
            conversation_id=self.optional_id(raw.get("conversation_id"), "post.conversation_id"),
            in_reply_to_user_id=self.optional_id(raw.get("in_reply_to_user_id"), "post.in_reply_to_user_id"),
            replied_to_id=self.optional_id(references.get("replied_to"), "replied_to.id"),
            quoted_id=self.optional_id(references.get("quoted"), "quoted.id"),
            lang=raw.get("lang"),
            mentions=_mentions(raw.get("entities")),
            author=authors.get(author_id) if author_id else None,
            retweeted_id=self.optional_id(references.get("retweeted"), "retweeted.id"),
            mention_ids=_mention_ids(raw.get("entities")),
            raw=raw,
        )

    def partial_errors(self, body: dict) -> tuple[PartialError, ...]:
        errors = []
        for item in body.get("errors") or []:
            if not isinstance(item, dict):
                continue
            resource_id = item.get("resource_id", item.get("value"))
            errors.append(PartialError(
                title=str(item.get("title", "")), detail=str(item.get("detail") or item.get("message") or ""),
                type=str(item.get("type", "")), resource_type=item.get("resource_type"),
                resource_id=None if resource_id is None else str(resource_id)))
        return tuple(errors)


def _parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        log.warning("X API returned an unreadable created_at %r", value)
        return None


def _mentions(entities: Any) -> tuple[str, ...]:
    if not isinstance(entities, dict):
        return ()
    return tuple(str(m["username"]) for m in entities.get("mentions") or []
                 if isinstance(m, dict) and "username" in m)


def _mention_ids(entities: Any) -> tuple[str, ...]:
    if not isinstance(entities, dict):
        return ()
    return tuple(str(m["id"]) for m in entities.get("mentions") or []
                 if isinstance(m, dict) and isinstance(m.get("id"), (str, int)) and not isinstance(m.get("id"), bool))


# --- the client --------------------------------------------------------------------------------


class XApiClient:
    """SocialClient for X API v2. `oauth` stays owned by the caller (close() leaves it open)."""

    def __init__(self, *, base_url: str = DEFAULT_BASE_URL, bearer_token: str | None = None,
                 user_tokens: UserTokens | None = None, oauth: XOAuth | None = None,
                 on_tokens_refreshed: Callable[[UserTokens], None] | None = None,
                 timeout: float = 10.0, page_size: int = 100,
                 transport: httpx.BaseTransport | None = None) -> None:
        self.bearer_token = bearer_token
        self.user_tokens = user_tokens
        self.page_size = page_size
        self._oauth = oauth
        self._on_tokens_refreshed = on_tokens_refreshed
        self._http = httpx.Client(base_url=base_url, timeout=timeout, transport=transport)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> XApiClient:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    # --- endpoints ---

    def get_me(self) -> Result[SocialUser]:
        body, rate, decoder = self._call("GET", "/2/users/me", user_context=True,
                                         params={"user.fields": USER_FIELDS})
        if not isinstance(body.get("data"), dict):
            raise BadResponse("/2/users/me: no data", status=decoder.status, rate_limit=rate)
        return Result(decoder.user(body["data"]), rate, decoder.partial_errors(body), decoder.coerced_ids)

    def get_mentions(self, user_id: str, since_id: str | None = None,
                     pagination_token: str | None = None) -> Page:
        params = self._timeline_params(since_id, max(5, self.page_size))
        if pagination_token:
            params["pagination_token"] = pagination_token
        return self._page(f"/2/users/{user_id}/mentions", params)

    def search_recent(self, query: str, since_id: str | None = None, next_token: str | None = None) -> Page:
        params = self._timeline_params(since_id, max(10, self.page_size))
        params["query"] = query
        if next_token:
            params["next_token"] = next_token
        return self._page("/2/tweets/search/recent", params)

    def get_user_posts(self, user_id: str, pagination_token: str | None = None) -> Page:
        params = self._timeline_params(None, max(5, self.page_size))
        if pagination_token:
            params["pagination_token"] = pagination_token
        return self._page(f"/2/users/{user_id}/tweets", params)

    def create_post(self, text: str, in_reply_to: str | None = None) -> Result[SocialPost]:
        payload: dict[str, Any] = {"text": text}
        if in_reply_to:
            payload["reply"] = {"in_reply_to_tweet_id": str(in_reply_to)}
        body, rate, decoder = self._call("POST", "/2/tweets", user_context=True, json=payload)
        data = body.get("data")
        try:
            post = decoder.post(data, {})
        except BadResponse as exc:
            raise UnreadableWriteResponse(f"post created but unreadable: {exc.message}",
                                          status=decoder.status, rate_limit=rate) from exc
        return Result(post, rate, decoder.partial_errors(body), decoder.coerced_ids)

    def delete_post(self, post_id: str) -> Result[bool]:
        body, rate, decoder = self._call("DELETE", f"/2/tweets/{post_id}", user_context=True)
        data = body.get("data")
        if not isinstance(data, dict) or not isinstance(data.get("deleted"), bool):
            raise UnreadableWriteResponse("delete answer has no data.deleted", status=decoder.status, rate_limit=rate)
        return Result(data["deleted"], rate, decoder.partial_errors(body))

    # --- plumbing ---

    def _timeline_params(self, since_id: str | None, max_results: int) -> dict[str, Any]:
        params: dict[str, Any] = {"max_results": min(100, max_results), "expansions": "author_id",
                                  "tweet.fields": TWEET_FIELDS, "user.fields": USER_FIELDS}
        if since_id:
            params["since_id"] = since_id
        return params

    def _page(self, path: str, params: dict[str, Any]) -> Page:
        body, rate, decoder = self._call("GET", path, params=params)
        includes = body.get("includes") if isinstance(body.get("includes"), dict) else {}
        authors = {user.id: user for user in map(decoder.user, includes.get("users") or [])}
        data = body.get("data") or []
        if not isinstance(data, list):
            raise BadResponse(f"{path}: data is not a list", status=decoder.status, rate_limit=rate)
        posts = tuple(decoder.post(raw, authors) for raw in data)
        meta = body.get("meta") if isinstance(body.get("meta"), dict) else {}
        return Page(posts=posts, next_token=meta.get("next_token"),
                    newest_id=decoder.optional_id(meta.get("newest_id"), "meta.newest_id"),
                    oldest_id=decoder.optional_id(meta.get("oldest_id"), "meta.oldest_id"),
                    rate_limit=rate, partial_errors=decoder.partial_errors(body), coerced_ids=decoder.coerced_ids)

    def _call(self, method: str, path: str, *, user_context: bool = False,
              **kwargs) -> tuple[dict, RateLimitInfo, _Decoder]:
        write = method != "GET"
        response = self._send_authorized(method, path, user_context, write, kwargs)
        if response.status_code == 401 and user_context and self._can_refresh():
            self._refresh()
            response = self._send_authorized(method, path, user_context, write, kwargs)
        rate = parse_rate_limit(response.headers)
        body = _decode_json(response)
        if response.status_code >= 400:
            raise _error_for(response, body, rate)
        if body is None:
            kind = UnreadableWriteResponse if write else BadResponse
            raise kind(f"{method} {path}: {response.status_code} answer is not a JSON object",
                       status=response.status_code, rate_limit=rate)
        return body, rate, _Decoder(f"{method} {path}", response.status_code)

    def _send_authorized(self, method: str, path: str, user_context: bool, write: bool,
                         kwargs: dict) -> httpx.Response:
        token = self._user_token() if user_context or not self.bearer_token else self.bearer_token
        headers = {"Authorization": f"Bearer {token}"}
        return _send(self._http, method, path, write=write, headers=headers, **kwargs)

    def _user_token(self) -> str:
        if self.user_tokens is None:
            raise AuthError("no X user token: the brand account must log in with X first")
        if self.user_tokens.expired(_utcnow()) and self._can_refresh():
            self._refresh()
        return self.user_tokens.access_token

    def _can_refresh(self) -> bool:
        return bool(self._oauth and self.user_tokens and self.user_tokens.refresh_token)

    def _refresh(self) -> None:
        assert self._oauth and self.user_tokens and self.user_tokens.refresh_token
        self.user_tokens = self._oauth.refresh(self.user_tokens.refresh_token)
        if self._on_tokens_refreshed:
            self._on_tokens_refreshed(self.user_tokens)
