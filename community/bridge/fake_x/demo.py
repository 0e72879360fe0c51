"""Demo data for the offline fake X (`flask bridge fake-x`): written here, needs no data files."""
from __future__ import annotations

from dataclasses import dataclass

from .state import FakeState

DEMO_BRAND_ID = "1500000000000000001"
DEMO_APP_TOKEN = "demo-app-bearer-token"
DEMO_CLIENT_ID = "parley-demo"

_CUSTOMERS = [("1500000000000000101", "dana_k", "Dana K."), ("1500000000000000102", "miguel_r", "Miguel R."),
              ("1500000000000000103", "sam_t", "Sam T.")]
_MENTIONS = [
    ("1500000000000000101", "@parleyhelp my invoice shows the wrong VAT number, who can fix it?"),
    ("1500000000000000102", "@parleyhelp the export to CSV has been stuck at 99% since this morning"),
    ("1500000000000000103", "Is there a way to bulk-archive old threads? @parleyhelp"),
    ("1500000000000000101", "@parleyhelp also: can I change the billing email myself?"),
]


@dataclass(frozen=True)
class DemoCredentials:
    app_token: str
    user_tokens: dict
    client_id: str


def seed_demo(state: FakeState, redirect_uri: str) -> DemoCredentials:
    state.add_user("parleyhelp", "Parley Help", DEMO_BRAND_ID)
    for user_id, username, name in _CUSTOMERS:
        state.add_user(username, name, user_id)
    for number, (author_id, text) in enumerate(_MENTIONS, start=1):
        state.add_post(author_id, text, post_id=str(1500000000000001000 + number))
    state.add_client(DEMO_CLIENT_ID, redirect_uri)
    state.authorize_user_id = DEMO_BRAND_ID
    return DemoCredentials(state.add_app_token(DEMO_APP_TOKEN), state.issue_user_tokens(DEMO_BRAND_ID),
                           DEMO_CLIENT_ID)
