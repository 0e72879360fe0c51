"""A bridge case as an invite finds it: one summoned complaint from an X author, stored via ingest."""
from __future__ import annotations

from sqlalchemy import select

from community.extensions import db
from community.models import BridgeCase, utcnow
from community.bridge import ingest as bridge_ingest
from community.bridge import invite_links as bridge_invites

COMPLAINT = "@acmehelp my invoice shows the wrong VAT number. Who can fix it? https://t.co/abc"


def make_case(author_id: str = "1001", post_id: str = "5001", text: str = COMPLAINT,
              username: str = "jo") -> BridgeCase:
    post = bridge_ingest.Incoming(post_id=post_id, author_id=author_id, author_username=username, text=text,
                                  posted_at=utcnow(), mentions_brand=True)
    bridge_ingest.store_posts([post], "mentions", bridge_ingest.Brand("999", "acmehelp"))
    return db.session.scalar(select(BridgeCase).where(BridgeCase.author_id == author_id,
                                                      BridgeCase.conversation_id == post_id))


def invite_token(case: BridgeCase) -> str:
    return bridge_invites.issue_invite_link(case).rsplit("/", 1)[1]
