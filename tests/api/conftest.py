"""API test helpers: tokens for factory users, and a client that sends them as bearer tokens."""
from __future__ import annotations

import pytest

from community.services import api_tokens


class ApiClient:
    """The Flask test client, with `Authorization: Bearer <token>` on every call and /api/v1 in front."""

    def __init__(self, client, secret: str | None) -> None:
        self.client, self.secret = client, secret

    def _headers(self, headers: dict | None) -> dict:
        merged = dict(headers or {})
        if self.secret is not None:
            merged.setdefault("Authorization", f"Bearer {self.secret}")
        return merged

    def open(self, method: str, path: str, *, headers: dict | None = None, **kwargs):
        return self.client.open("/api/v1" + path, method=method, headers=self._headers(headers), **kwargs)

    def get(self, path: str, **kwargs):
        return self.open("GET", path, **kwargs)

    def post(self, path: str, **kwargs):
        return self.open("POST", path, **kwargs)

    def patch(self, path: str, **kwargs):
        return self.open("PATCH", path, **kwargs)


def issue_token(user, scopes=("read",), name: str = "test token") -> str:
    return api_tokens.create_personal_token(user, name, list(scopes)).secret


@pytest.fixture
def api_as(app, client):
    """api_as(user, scopes) → an ApiClient holding a fresh personal token of that user."""

    def make(user, scopes=("read",)) -> ApiClient:
        return ApiClient(client, issue_token(user, scopes) if user is not None else None)

    return make


def make_bridge_case():
    """One X bridge case, stored the way ingest stores it."""
    from sqlalchemy import select

    from community.extensions import db
    from community.models import BridgeCase, utcnow
    from community.bridge import ingest as bridge_ingest

    post = bridge_ingest.Incoming(post_id="1", author_id="7", text="@acmehelp it is down", posted_at=utcnow(),
                                  mentions_brand=True)
    bridge_ingest.store_posts([post], "mentions", bridge_ingest.Brand("999", "acmehelp"))
    return db.session.scalar(select(BridgeCase))
