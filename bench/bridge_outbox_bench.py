"""The X bridge outbox against the fake X on 127.0.0.1 (SQLite, one process): how fast staff invites
are queued (checks + invite link + CAS + audit + commit), how fast the outbox sends them (claim,
POST /2/tweets over HTTP, record, redact), and how long reconciling interrupted sends takes (reading
the brand's posts back). BENCH_OUTBOX_N sets the number of cases (default 200).

The fake X answers in-process on another thread, so the figures measure our side plus loopback HTTP,
not X's latency; on X itself the 200-posts-per-15-minutes window is the real limit.
"""
from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import update  # noqa: E402

from community import create_app  # noqa: E402
from community.bridge.fake_x import FakeX  # noqa: E402
from community.extensions import db  # noqa: E402
from community.models import Base, BridgeOutbound, Role, User, utcnow  # noqa: E402
from community.models.bridge import OutboundState  # noqa: E402
from community.bridge import ingest as bridge_ingest
from community.bridge import respond as bridge_invite
from community.bridge import outbox as bridge_outbox  # noqa: E402

N = int(os.environ.get("BENCH_OUTBOX_N", "200"))
BRAND_ID = "2244994945"


def _seed(fake: FakeX) -> dict:
    state = fake.state
    state.add_user("acmehelp", "Acme Help", BRAND_ID)
    for number in range(N):
        author = state.add_user(f"customer{number}", f"Customer {number}").id
        state.add_post(author, f"@acmehelp order {number} never arrived and nobody answers")
    tokens = state.issue_user_tokens(BRAND_ID)
    state.set_window_limit("POST /2/tweets", 10 * N)  # measure our side, not the fake's 15-minute window
    state.set_day_limit("user", 10 * N)
    state.set_day_limit("app", 10 * N)
    return {"X_API_BASE_URL": fake.url, "X_BEARER_TOKEN": state.add_app_token(), "X_BRAND_USER_ID": BRAND_ID,
            "X_BRAND_HANDLE": "acmehelp", "X_USER_ACCESS_TOKEN": tokens["access_token"],
            "BRIDGE_OUTBOUND_PER_15MIN": 10 * N, "BRIDGE_OUTBOUND_PER_DAY": 10 * N, "BRIDGE_MAX_PAGES": 100}


def _drain(client) -> None:
    """process_due settles at most BATCH rows a run, as the scheduler would call it: run it until idle."""
    while bridge_outbox.process_due(client):
        pass


def _timed(label: str, count: int, work) -> float:
    started = time.perf_counter()
    work()
    elapsed = time.perf_counter() - started
    print(f"{label:<44} {count:>5} in {elapsed:6.2f}s  {count / elapsed:8,.1f}/s")
    return elapsed


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp, FakeX() as fake:
        settings = _seed(fake)
        app = create_app({"DATABASE_URL": f"sqlite:///{tmp}/bench.db", "INSTANCE_PATH": tmp, "SECRET_KEY": "bench",
                          "SEED_DEMO": False, "LOG_LEVEL": "WARNING", "JOB_QUEUE": "inline", **settings})
        with app.app_context():
            Base.metadata.create_all(db.engine)
            staff = User(email="s@example.com", email_normalized="s@example.com", username="staff",
                         display_name="Staff", password_hash="x", role=Role.staff)
            db.session.add(staff)
            db.session.commit()
            bridge_ingest.poll_once()
            from community.models import BridgeCase

            cases = list(db.session.query(BridgeCase).order_by(BridgeCase.id))
            held: list[int] = []
            bridge_outbox.start = held.append  # queue only; the send is measured separately

            def queue_all() -> None:
                for case in cases:
                    bridge_invite.invite(staff, case.id, case.version)

            _timed("invites queued (checks, link, CAS, audit)", len(cases), queue_all)
            client = bridge_outbox.posting_client(app.config)
            _timed("invites sent (claim, POST, record, redact)", len(held), lambda: _drain(client))
            sent = db.session.query(BridgeOutbound).filter_by(state=OutboundState.sent).count()
            # Every row as if its worker had died after posting: reconcile them all from the brand's posts.
            db.session.execute(update(BridgeOutbound).values(state=OutboundState.sending, remote_post_id=None,
                                                             claimed_at=utcnow()))
            db.session.commit()
            app.config["BRIDGE_SENDING_STALE_SECONDS"] = -1
            _timed("interrupted sends reconciled (read back)", sent, lambda: _drain(client))
            reconciled = db.session.query(BridgeOutbound).filter_by(state=OutboundState.sent).count()
            client.close()
            on_x = len([post for post in fake.state.visible_posts() if post.author_id == BRAND_ID])
    print(f"sent {sent} of {len(held)}, reconciled {reconciled}; brand posts on the fake: {on_x} "
          f"(exactly once: {on_x == sent == reconciled})")
    return 0 if on_x == sent == reconciled else 1


if __name__ == "__main__":
    sys.exit(main())
