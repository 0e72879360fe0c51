"""Checking who a test client is signed in as."""
from flask import g


def signed_in(client) -> bool:
    # Test requests share the fixture's app context, so Flask-Login's per-request cache in `g`
    # would carry one client's user into the next request: drop it to load from the session.
    g.pop("_login_user", None)
    return client.get("/settings").status_code == 200
