"""Demo posts for the X bridge inbox: a few made-up posts about Acme Cloud (written for the demo,
not taken from any data set) so the triage inbox has something to show after `seed-demo`."""
from __future__ import annotations

from datetime import timedelta

from ..models import utcnow
from ..bridge.ingest import Brand, Incoming, store_posts

DEMO_HANDLE = "acmecloudhelp"

# (post id, author id, username, name, followers, hours ago, text, reply to)
DEMO_POSTS = [
    ("9100000000000000001", "81001", "dana_builds", "Dana", 5400, 3,
     "@acmecloudhelp our deploys have been failing with a 502 since this morning. Status page says all green?!", None),
    ("9100000000000000002", "81001", "dana_builds", "Dana", 5400, 2,
     "@acmecloudhelp still broken, this is costing us customers", "9100000000000000001"),
    ("9100000000000000003", "81002", "miguel_ops", "Miguel", 230, 20,
     "@acmecloudhelp how do I rotate the API key for a project without downtime?", None),
    ("9100000000000000004", "81003", "priya_dev", "Priya", 1200, 30,
     "Shout-out to @acmecloudhelp for fixing my billing mix-up in ten minutes. Great support!", None),
    ("9100000000000000005", "81004", "lee_codes", "Lee", 45, 6,
     "Is Acme Cloud object storage cheaper than the others for small backups? Thinking of switching.", None),
]


def seed_bridge_demo() -> int:
    """Store the demo posts as bridge cases (idempotent: post ids are unique). Returns how many were new."""
    now = utcnow()
    posts = [
        Incoming(post_id=post_id, author_id=author_id, author_username=username, author_name=name,
                 author_followers=followers, text=text, posted_at=now - timedelta(hours=hours),
                 conversation_id=reply_to or post_id, in_reply_to_post_id=reply_to, lang="en",
                 raw={"id": post_id, "text": text, "author_id": author_id, "demo": True},
                 mentions_brand=f"@{DEMO_HANDLE}" in text)
        for post_id, author_id, username, name, followers, hours, text, reply_to in DEMO_POSTS
    ]
    return store_posts(posts, "demo", Brand(None, DEMO_HANDLE)).stored
