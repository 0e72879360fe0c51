"""Seeds the fake X from "Customer Support on Twitter" rows (read by community/bridge/twcs.py)."""
from __future__ import annotations

from ..twcs import TwcsRow, user_id_for
from .state import FakeState


def load_rows(state: FakeState, rows: list[TwcsRow]) -> int:
    with state.lock:
        for row in rows:
            user_id = user_id_for(row.author)
            if user_id not in state.users:
                state.add_user(row.author, row.author, user_id)
            state.add_post(user_id, row.text, post_id=row.tweet_id, created_at=row.created_at,
                           in_reply_to_tweet_id=row.in_response_to)
        _link_conversations(state, [row.tweet_id for row in rows])
    return len(rows)


def _link_conversations(state: FakeState, post_ids: list[str]) -> None:
    """Rows come in any order, so parents are resolved once every row is loaded."""
    for post_id in post_ids:
        post = state.posts[post_id]
        parent = state.posts.get(post.replied_to_id) if post.replied_to_id else None
        post.in_reply_to_user_id = parent.author_id if parent else None
        post.conversation_id = _root_of(state, post)


def _root_of(state: FakeState, post) -> str:
    seen = {post.id}
    while post.replied_to_id and post.replied_to_id in state.posts and post.replied_to_id not in seen:
        post = state.posts[post.replied_to_id]
        seen.add(post.id)
    return post.replied_to_id or post.id
