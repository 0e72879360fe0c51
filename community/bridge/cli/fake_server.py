"""`flask bridge fake-x`: run the fake X API v2 locally for an offline demo of the bridge."""
from __future__ import annotations

import click

from . import bridge_cli


@bridge_cli.command("fake-x")
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=8090, show_default=True, type=click.IntRange(0, 65535), help="Port (0: any free one).")
@click.option("--redirect-uri", default="http://127.0.0.1:5000/bridge/x/callback", show_default=True,
              help='Callback URL of the demo OAuth client ("Log in with X").')
@click.option("--empty", is_flag=True, help="Start without the demo brand, customers and mentions.")
def fake_x_command(host: str, port: int, redirect_uri: str, empty: bool) -> None:
    """Serve a fake X API v2 (with /_control/... to seed it) until interrupted."""
    # Imported here, so the app (which registers this command) never loads the fake.
    from ..fake_x import FakeX
    from ..fake_x.demo import seed_demo

    fake = FakeX(host, port, log_requests=True).bind()
    if not empty:
        credentials = seed_demo(fake.state, redirect_uri)
        click.echo(f"App bearer token:   {credentials.app_token}")
        click.echo(f"Brand access token: {credentials.user_tokens['access_token']}")
        click.echo(f"OAuth client id:    {credentials.client_id} (redirect {redirect_uri})")
    click.echo(f"Fake X API v2 on {fake.url} (Ctrl+C to stop)")
    try:
        fake.serve_forever()
    except KeyboardInterrupt:
        click.echo("stopped")
