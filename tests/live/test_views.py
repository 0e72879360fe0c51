"""/live/token, /live/poll and the embedded /live/stream: who may follow what, replay, fallback.

The permission matrix: every viewer x every kind of thread gets the thread channel exactly when it
may read the thread page (policies.can_read_thread), 404 otherwise; the bell channel only ever
names the viewer; the staff channels only staff.
"""
from __future__ import annotations

import json

import pytest

from community import policies
from community.live import current_broker, tokens
from community.live.events import Event
from community.models import Role, Visibility
from community.services import posts

VIEWERS = ("anonymous", "member", "author", "staff")
THREADS = ("public", "private", "members_category", "staff_category")


@pytest.fixture
def cast(make_user, make_category, make_thread):
    author = make_user()
    people = {"anonymous": None, "member": make_user(), "author": author, "staff": make_user(role=Role.staff)}
    threads = {
        "public": make_thread(author=author),
        "private": make_thread(author=author, is_private=True),
        "members_category": make_thread(author=author, category=make_category(visibility=Visibility.members)),
        "staff_category": make_thread(author=author, category=make_category(visibility=Visibility.staff)),
    }
    return people, threads


def _as(client, auth, user):
    if user is None:
        auth.sign_out()
    else:
        auth.sign_in(user)


@pytest.mark.parametrize("viewer", VIEWERS)
@pytest.mark.parametrize("kind", THREADS)
def test_a_thread_channel_is_given_exactly_to_those_who_may_read_the_thread(client, auth, cast, viewer, kind):
    people, threads = cast
    user, thread = people[viewer], threads[kind]
    _as(client, auth, user)
    response = client.get(f"/live/token?thread={thread.id}")
    page = client.get(f"/t/{thread.id}", follow_redirects=True)
    if policies.can_read_thread(user, thread):
        assert response.status_code == 200 and page.status_code == 200
        expected = {f"thread:{thread.id}"} | ({f"user:{user.id}"} if user else set())
        assert set(response.json["channels"]) == expected
        assert tokens.channels_of("test-secret", response.json["token"], 60) == frozenset(expected)
    else:
        assert response.status_code == 404 and page.status_code in (403, 404)
        assert "token" not in response.json


def test_an_unknown_thread_is_the_same_404_as_a_private_one(client, auth, cast):
    people, threads = cast
    auth.sign_in(people["member"])
    missing = client.get("/live/token?thread=987654")
    private = client.get(f"/live/token?thread={threads['private'].id}")
    assert missing.status_code == private.status_code == 404
    assert missing.json == private.json


@pytest.mark.parametrize("viewer,status", [("anonymous", 403), ("member", 403), ("staff", 200)])
def test_staff_channels_are_for_staff(client, auth, cast, viewer, status):
    people, _threads = cast
    _as(client, auth, people[viewer])
    for queue in ("inbox", "queue", "bridge"):
        response = client.get(f"/live/token?staff={queue}")
        assert response.status_code == status, queue
    assert client.get("/live/token?staff=elsewhere").status_code in (403, 422)


def test_bad_arguments_are_clear_json_errors(client, auth, cast):
    people, _threads = cast
    assert client.get("/live/token").status_code == 422  # signed out, nothing named
    assert client.get("/live/token?thread=abc").status_code == 400
    assert client.get("/live/poll?token=forged&after=0").status_code == 403
    auth.sign_in(people["member"])
    token = client.get("/live/token").json["token"]
    response = client.get(f"/live/poll?token={token}&after=not-an-id")
    assert response.status_code == 400 and "event id" in response.json["error"]["message"]


def test_a_forged_or_edited_token_names_no_one_elses_bell(client, auth, cast):
    people, _threads = cast
    auth.sign_in(people["member"])
    token = client.get("/live/token").json["token"]
    other = people["author"].id
    forged = tokens.sign("not-the-secret", [f"user:{other}"])
    assert client.get(f"/live/poll?token={forged}&after=0").status_code == 403
    assert client.get(f"/live/poll?token={token[:-2]}xx&after=0").status_code == 403


def test_polling_returns_only_the_channels_of_the_token_after_the_id(client, auth, cast, make_user):
    people, threads = cast
    auth.sign_in(people["member"])
    subscription = client.get(f"/live/token?thread={threads['public'].id}").json
    reply = posts.create_reply(make_user(), threads["public"].id, "A new reply.")
    posts.create_reply(people["author"], threads["private"].id, "Private words.")
    response = client.get(f"/live/poll?token={subscription['token']}&after={subscription['last_id']}")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    events = response.json["events"]
    assert [(e["channel"], e["kind"], e.get("post")) for e in events] == [(f"thread:{threads['public'].id}", "reply", reply.id)]
    again = client.get(f"/live/poll?token={subscription['token']}&after={response.json['last_id']}")
    assert again.json["events"] == [] and not again.json["reset"]


def _frames(body: bytes) -> list[dict]:
    return [json.loads(line[6:]) for line in body.decode().splitlines() if line.startswith("data: ")]


@pytest.fixture
def app_overrides():
    return {"LIVE_STREAM_SECONDS": 0}  # the embedded stream sends its replay and ends


def test_the_embedded_stream_replays_everything_after_last_event_id(client, auth, cast, make_user):
    people, threads = cast
    thread = threads["public"]
    auth.sign_in(people["member"])
    token = client.get(f"/live/token?thread={thread.id}").json["token"]
    first = posts.create_reply(make_user(), thread.id, "First reply.")
    seen = current_broker().latest_id()
    second = posts.create_reply(make_user(), thread.id, "Second reply.")
    third = posts.create_reply(make_user(), thread.id, "Third reply.")
    response = client.get(f"/live/stream?token={token}", headers={"Last-Event-ID": seen})
    assert response.status_code == 200 and response.mimetype == "text/event-stream"
    body = response.get_data()
    assert body.startswith(b"retry: ")
    replies = [frame["post"] for frame in _frames(body) if frame["kind"] == "reply"]
    assert replies == [second.id, third.id] and first.id not in replies
    # A fresh EventSource cannot set the header: the query parameter does the same.
    query = client.get(f"/live/stream?token={token}&last_event_id={seen}").get_data()
    assert [f["post"] for f in _frames(query) if f["kind"] == "reply"] == replies


def test_a_reader_too_far_behind_is_told_to_reload(app, client, auth, cast):
    people, threads = cast
    thread = threads["public"]
    auth.sign_in(people["member"])
    token = client.get(f"/live/token?thread={thread.id}").json["token"]
    broker = current_broker()
    start = broker.latest_id()
    broker.publish([Event(f"thread:{thread.id}", "edit", thread.id, 1)] * (app.config["LIVE_REPLAY_EVENTS"] + 5))
    polled = client.get(f"/live/poll?token={token}&after={start}").json
    assert polled["reset"] and polled["last_id"] == broker.latest_id()
    streamed = _frames(client.get(f"/live/stream?token={token}", headers={"Last-Event-ID": start}).get_data())
    assert streamed[0]["kind"] == "reset"


def test_with_redis_gunicorn_refuses_the_stream_at_once(app, client, auth, cast, redis_url):
    from community.live.redis_broker import RedisBroker

    app.extensions["community.live.broker"] = RedisBroker(redis_url, "test:live:refuse", 10)
    auth.sign_in(cast[0]["member"])
    token = client.get("/live/token").json["token"]
    response = client.get(f"/live/stream?token={token}")
    assert response.status_code == 503 and response.headers["Retry-After"]
    assert client.get(f"/live/poll?token={token}&after=0-0").status_code == 200
