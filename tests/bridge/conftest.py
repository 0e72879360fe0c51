"""Fixtures for the X bridge: one fake X server per test process, reset and seeded for each test."""
from __future__ import annotations

import json
from dataclasses import dataclass

import pytest

from community.bridge.fake_x import FakeX
from community.bridge.x_api import UserTokens, XApiClient, XOAuth

from ..conftest import shared_data

BRAND_ID = "2244994945"
CUSTOMER_ID = "1001"
CLIENT_ID = "parley-client"
CLIENT_SECRET = "parley-secret"
REDIRECT_URI = "http://127.0.0.1:5000/bridge/x/callback"


@dataclass
class World:
    fake: FakeX
    app_token: str
    tokens: dict  # the brand's token response: access_token, refresh_token, expires_in


@pytest.fixture(scope="session")
def fake_x_server():
    with FakeX() as server:
        yield server


@pytest.fixture
def fake_x(fake_x_server):
    fake_x_server.state.reset()
    yield fake_x_server
    fake_x_server.state.reset()


@pytest.fixture
def world(fake_x) -> World:
    """A brand account (@acmehelp) with an app bearer token, user tokens and an OAuth client."""
    state = fake_x.state
    state.add_user("acmehelp", "Acme Help", BRAND_ID)
    state.add_user("jo", "Jo Customer", CUSTOMER_ID)
    state.add_client(CLIENT_ID, REDIRECT_URI, CLIENT_SECRET)
    state.authorize_user_id = BRAND_ID
    return World(fake_x, state.add_app_token(), state.issue_user_tokens(BRAND_ID))


def make_client(world: World, **overrides) -> XApiClient:
    tokens = UserTokens(world.tokens["access_token"], world.tokens["refresh_token"])
    options = dict(base_url=world.fake.url, bearer_token=world.app_token, user_tokens=tokens,
                   oauth=XOAuth(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, base_url=world.fake.url),
                   timeout=2.0, page_size=10)
    options.update(overrides)
    return XApiClient(**options)


@pytest.fixture
def x_client(world):
    client = make_client(world)
    yield client
    client.close()


@pytest.fixture(scope="session")
def openapi_spec() -> dict:
    return json.loads(shared_data("x_api_v2/openapi.json").read_text())


def recorded(name: str) -> list[dict]:
    return json.loads(shared_data(f"x_api_v2/recorded_responses/{name}.json").read_text())


def doc_example(name: str) -> dict:
    return json.loads(shared_data(f"x_api_v2/doc_examples/{name}.json").read_text())
