"""What a commit means to live subscribers: ids on channels, never content.

`events_for(change_set, owners_of)` turns the change tracker's ChangeSet into `Event`s:
- `thread:<id>`: reply (a new post), edit (a post changed), answer (an accepted or verified answer
  came or went), same (the "same problem" count), changed (the thread itself, or a bulk statement);
- `user:<id>`: bell (a notification for that user);
- `staff:inbox`, `staff:queue`, `staff:bridge`: new (something new on that staff page).
Browsers re-read what an event names through the normal pages and JSON, with their permission
checks, so an event can never show what its reader may not see.
"""
from __future__ import annotations

from typing import Callable, Iterable, NamedTuple

from ..changes import DELETE, INSERT, UPDATE, ChangeSet

WATCHED_TABLES = frozenset({
    "posts", "threads", "accepted_answers", "verified_answers", "same_problems", "notifications", "flags",
    "bridge_cases",
})
# Post columns a reader sees; counters and bookkeeping do not make an edit.
POST_SHOWN = frozenset({"body_html", "edit_count", "deleted_at", "is_hidden", "is_pending", "thread_id"})
THREAD_SHOWN = frozenset({"title", "state", "is_locked", "is_private", "deleted_at", "category_id"})
STAFF_QUEUES = ("inbox", "queue", "bridge")
# A bulk statement that reaches more threads than this tells none of them (a rename of a category, say).
STATEMENT_THREADS = 100


class Event(NamedTuple):
    channel: str
    kind: str
    thread: int | None = None
    post: int | None = None

    def payload(self) -> dict:
        body = {"kind": self.kind}
        if self.thread is not None:
            body["thread"] = self.thread
        if self.post is not None:
            body["post"] = self.post
        return body


def thread_channel(thread_id: int) -> str:
    return f"thread:{thread_id}"


def user_channel(user_id: int) -> str:
    return f"user:{user_id}"


def staff_channel(queue: str) -> str:
    return f"staff:{queue}"


def events_for(change_set: ChangeSet, owners_of: Callable[[list[int]], Iterable[int]]) -> list[Event]:
    """The events of one commit, each once, in the order the rows came. `owners_of(notification_ids)`
    gives the users the new notifications are for (one query, only when there are some)."""
    events: list[Event] = []
    notification_ids: list[int] = []
    for row in change_set.rows:
        if row.table == "posts":
            for thread_id in row.thread_ids:
                if row.op == INSERT:
                    events += [Event(thread_channel(thread_id), "reply", thread_id, row.key),
                               Event(staff_channel("inbox"), "new", thread_id)]
                elif row.op == DELETE or row.columns & POST_SHOWN:
                    events.append(Event(thread_channel(thread_id), "edit", thread_id, row.key))
            if row.op == UPDATE and "is_pending" in row.columns:
                events.append(Event(staff_channel("queue"), "new"))
        elif row.table == "threads":
            if row.op == INSERT:
                events.append(Event(staff_channel("inbox"), "new", row.key))
            elif row.op == DELETE or row.columns & THREAD_SHOWN:
                events.append(Event(thread_channel(row.key), "changed", row.key))
        elif row.table in ("accepted_answers", "verified_answers"):
            events += [Event(thread_channel(t), "answer", t) for t in row.thread_ids]
        elif row.table == "same_problems":
            events += [Event(thread_channel(t), "same", t) for t in row.thread_ids]
        elif row.table == "notifications" and row.op == INSERT:
            notification_ids.append(row.key)
        elif row.table == "flags" and row.op == INSERT:
            events.append(Event(staff_channel("queue"), "new"))
        elif row.table == "bridge_cases" and row.op == INSERT:
            events.append(Event(staff_channel("bridge"), "new"))
    for statement in change_set.statements:
        if statement.table in ("posts", "threads") and statement.thread_ids:
            if len(statement.thread_ids) <= STATEMENT_THREADS:
                events += [Event(thread_channel(t), "changed", t) for t in sorted(statement.thread_ids)]
    if notification_ids:
        events += [Event(user_channel(user_id), "bell") for user_id in sorted(set(owners_of(notification_ids)))]
    # A reply moves its thread's counters and state too; the reply event already makes readers look.
    replied = {event.thread for event in events if event.kind == "reply"}
    events = [event for event in events if not (event.kind == "changed" and event.thread in replied)]
    return list(dict.fromkeys(events))  # one of each, first order kept
