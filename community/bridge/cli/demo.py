"""`flask bridge demo`: walk the whole X loop offline. Starts the fake X (demo brand @parleyhelp,
three customers, four mentions) in this process, points the app at it, migrates and seeds the demo
community if empty, polls X in the background and serves the app.

The fake's "Log in with X" page approves as one account without asking; the demo points it at the
customer whose mention you invite first (Dana), and `/_control/authorize_as` switches it.
"""
from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from . import bridge_cli

DEMO_CUSTOMER_ID = "1500000000000000101"  # dana_k in community/bridge/fake_x/demo.py


def point_app_at_fake(app: Flask, fake, app_url: str) -> None:
    """Seed the fake with the demo brand and configure the app to read, post and log in through it."""
    from ..fake_x.demo import DEMO_BRAND_ID, seed_demo

    credentials = seed_demo(fake.state, f"{app_url}/join/x/callback")
    fake.state.authorize_user_id = DEMO_CUSTOMER_ID
    app.config.update(
        BASE_URL=app_url, X_API_BASE_URL=fake.url, X_BEARER_TOKEN=credentials.app_token,
        X_BRAND_USER_ID=DEMO_BRAND_ID, X_BRAND_HANDLE="parleyhelp", X_CLIENT_ID=credentials.client_id,
        X_USER_ACCESS_TOKEN=credentials.user_tokens["access_token"],
        X_USER_REFRESH_TOKEN=credentials.user_tokens.get("refresh_token"),
    )


def prepare_database(app: Flask) -> list:
    """Migrate, and seed the demo community when the database has no users (as `make run` does)."""
    from ... import migrate
    from ...extensions import db
    from ...seed.demo import seed_demo

    with app.app_context():
        migrate.upgrade(db.engine, "head")
        return seed_demo(if_empty=True) or []


def poll_forever(app: Flask, every: float, stop: threading.Event) -> None:
    from ..ingest import poll_once

    while not stop.is_set():
        with app.app_context():
            try:
                poll_once()
            except Exception as error:  # a demo keeps going; the status page shows poll errors
                app.logger.warning("demo poll failed: %s", error)
        stop.wait(every)


@bridge_cli.command("demo")
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535), help="Port of the app.")
@click.option("--x-port", default=8090, show_default=True, type=click.IntRange(0, 65535), help="Port of the fake X.")
@click.option("--poll-every", default=5.0, show_default=True, type=click.FloatRange(0.5), help="Seconds between polls.")
@with_appcontext
def demo_command(port: int, x_port: int, poll_every: float) -> None:
    """Serve the app against a fake X on 127.0.0.1, to walk mention → invite → thread → follow-up."""
    from werkzeug.serving import run_simple

    from ..fake_x import FakeX

    app = current_app._get_current_object()
    app_url = f"http://127.0.0.1:{port}"
    fake = FakeX("127.0.0.1", x_port).start()
    point_app_at_fake(app, fake, app_url)
    accounts = prepare_database(app)
    if accounts:
        click.echo("Demo community seeded. Sign in with (shown once):")
    for account in accounts:
        role = "verified customer" if account.verified_customer else account.role
        click.echo(f"  {role:<18} {account.email:<30} {account.password}")
    stop = threading.Event()
    threading.Thread(target=poll_forever, args=(app, poll_every, stop), name="demo-poll", daemon=True).start()
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per poll would drown the walk
    _explain(app_url, fake.url, Path(app.instance_path) / "outbox")
    try:
        run_simple("127.0.0.1", port, app, threaded=True, use_reloader=False)
    finally:
        stop.set()
        fake.stop()
        time.sleep(0.1)


def _explain(app_url: str, x_url: str, outbox: Path) -> None:
    click.echo(f"""
Fake X API v2 on {x_url} (brand @parleyhelp; see {x_url}/_control/posts)
Parley on {app_url}, polling the fake every few seconds.

  1. Sign in as a staff account (printed when the demo community was first seeded); open {app_url}/staff/bridge and invite @dana_k.
  2. The invite reply appears in {x_url}/_control/posts?via_api=1 ; open its /join/... link
     in a private window, sign up (the confirmation mail is in {outbox}/), continue
     with "Log in with X" (the fake signs you in as @dana_k) and post your thread.
  3. As staff, verify an answer in that thread, then "tell the public it's solved" in the inbox.
  4. {x_url}/_control/posts?via_api=1 now shows the brand's two replies.
Ctrl+C stops both servers.""")
