"""parley-live: the scale-out shape's event stream, one asyncio process beside gunicorn.

    python -m community.live.server [--bind 127.0.0.1:8001]     (make live-server)

nginx sends /live/stream here (deploy/nginx-parley.conf) and everything else to gunicorn, so a
browser waiting for events holds an idle socket on this event loop, never a gunicorn thread. One
task reads the Redis stream the app writes after each commit (XREAD BLOCK) and hands each event
to the subscribers of its channel; a subscriber's own replay (Last-Event-ID, or last_event_id= on a
fresh connection) is an XRANGE from that id, deduplicated against what the reader task hands over.

The app decided who may follow which channels and signed it (tokens.py): this process verifies
the signature and the age with the same SECRET_KEY and reads no database, no session, no content.
Settings are the app's (COMMUNITY_REDIS_URL, COMMUNITY_SECRET_KEY, COMMUNITY_LIVE_*).
GET /live/health answers {"subscribers": n, "cursor": id} for monitoring and the bench.
"""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import time
from collections import defaultdict

import redis.asyncio as aioredis
from aiohttp import web

from .. import config
from . import tokens
from .wire import (
    SSE_HEARTBEAT, SSE_RETRY, Delivered, decode_entry, for_channels, lost_since, max_deleted, sse_frame, sse_reset,
    stream_id,
)

log = logging.getLogger("parley.live")

HEARTBEAT_SECONDS = 15.0
QUEUE_LIMIT = 1000  # events a stalled reader may fall behind before it is told to reload (reset)
READ_BLOCK_MS = 5000
REPLAY_CONNECTIONS = 16


class Subscriber:
    def __init__(self, channels: frozenset[str]) -> None:
        self.channels = channels
        self.queue: asyncio.Queue[Delivered] = asyncio.Queue(QUEUE_LIMIT)
        self.overflowed = False

    def offer(self, event: Delivered) -> None:
        try:
            self.queue.put_nowait(event)
        except asyncio.QueueFull:
            self.overflowed = True


class Hub:
    """The one Redis reader and the subscribers by channel."""

    def __init__(self, reader, replays, key: str, keep: int) -> None:
        self.redis, self.replays, self.key, self.keep = reader, replays, key, keep
        self.by_channel: dict[str, set[Subscriber]] = defaultdict(set)
        self.subscribers = 0
        self.cursor = "0-0"

    async def start(self) -> None:
        newest = await self.redis.xrevrange(self.key, count=1)
        self.cursor = newest[0][0].decode() if newest else "0-0"
        self.task = asyncio.create_task(self._read())

    async def stop(self) -> None:
        self.task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.task

    def add(self, subscriber: Subscriber) -> None:
        for channel in subscriber.channels:
            self.by_channel[channel].add(subscriber)
        self.subscribers += 1

    def remove(self, subscriber: Subscriber) -> None:
        for channel in subscriber.channels:
            self.by_channel[channel].discard(subscriber)
            if not self.by_channel[channel]:
                del self.by_channel[channel]
        self.subscribers -= 1

    async def _read(self) -> None:
        while True:
            try:
                batches = await self.redis.xread({self.key: self.cursor}, block=READ_BLOCK_MS, count=500)
            except (aioredis.ConnectionError, aioredis.TimeoutError, OSError):
                log.warning("Redis unreachable; live events resume when it is back")
                await asyncio.sleep(1)
                continue
            for _key, entries in batches or ():
                for entry in entries:
                    event = decode_entry(*entry)
                    self.cursor = event.id
                    for subscriber in tuple(self.by_channel.get(event.channel, ())):
                        subscriber.offer(event)

    async def replay(self, channels: frozenset[str], last_id: str) -> tuple[list[Delivered], bool]:
        async with self.replays.pipeline(transaction=False) as pipe:
            entries, exists = await pipe.xrange(self.key, min="(" + last_id, count=self.keep).exists(self.key).execute()
        lost = False
        if exists:
            lost = lost_since(max_deleted(await self.replays.xinfo_stream(self.key)), last_id)
        return for_channels((decode_entry(*entry) for entry in entries), channels), lost


def _refuse(status: int, message: str) -> web.Response:
    return web.json_response({"error": {"status": status, "message": message}}, status=status,
                             headers={"Cache-Control": "no-store"})


async def stream(request: web.Request) -> web.StreamResponse:
    settings, hub = request.app["settings"], request.app["hub"]
    try:
        channels = tokens.channels_of(settings["SECRET_KEY"], request.query.get("token", ""), settings["LIVE_TOKEN_SECONDS"])
    except tokens.InvalidToken:
        return _refuse(403, "The live token is invalid or expired; fetch a new one.")
    last_id = request.headers.get("Last-Event-ID") or request.query.get("last_event_id") or hub.cursor
    try:
        sent = stream_id(last_id)
    except ValueError:
        return _refuse(400, "Last-Event-ID must be an event id this site gave out.")
    subscriber = Subscriber(channels)
    hub.add(subscriber)  # before the replay: an event during it comes through the queue, once
    until = time.monotonic() + settings["LIVE_TOKEN_SECONDS"]  # then the browser asks the app again
    response = web.StreamResponse(headers={
        "Content-Type": "text/event-stream", "Cache-Control": "no-store", "X-Accel-Buffering": "no",
    })
    try:
        await response.prepare(request)
        await response.write(SSE_RETRY)
        events, lost = await hub.replay(channels, last_id)
        if lost:
            await response.write(sse_reset(hub.cursor))
        for event in events:
            await response.write(sse_frame(event))
            sent = max(sent, stream_id(event.id))
        while time.monotonic() < until:
            if subscriber.overflowed:
                await response.write(sse_reset(hub.cursor))
                break
            try:
                event = await asyncio.wait_for(subscriber.queue.get(), HEARTBEAT_SECONDS)
            except asyncio.TimeoutError:
                await response.write(SSE_HEARTBEAT)
                continue
            if stream_id(event.id) <= sent:
                continue  # already sent by the replay
            await response.write(sse_frame(event))
            sent = stream_id(event.id)
    except (ConnectionResetError, ConnectionError):
        pass
    finally:
        hub.remove(subscriber)
    return response


async def health(request: web.Request) -> web.Response:
    hub = request.app["hub"]
    return web.json_response({"subscribers": hub.subscribers, "cursor": hub.cursor})


def make_app(settings: dict) -> web.Application:
    app = web.Application()
    app["settings"] = settings

    async def lifecycle(app: web.Application):
        # The reader's XREAD BLOCK holds one connection; replays share a small pool and wait their
        # turn when hundreds of browsers reconnect at once (a burst never fails with "too many").
        reader = aioredis.Redis.from_url(settings["REDIS_URL"], socket_connect_timeout=2,
                                         socket_timeout=READ_BLOCK_MS / 1000 + 5)
        pool = aioredis.BlockingConnectionPool.from_url(settings["REDIS_URL"], max_connections=REPLAY_CONNECTIONS,
                                                        timeout=10, socket_connect_timeout=2, socket_timeout=5)
        replays = aioredis.Redis(connection_pool=pool)
        app["hub"] = Hub(reader, replays, settings["LIVE_STREAM_KEY"], settings["LIVE_REPLAY_EVENTS"])
        await app["hub"].start()
        yield
        await app["hub"].stop()
        await reader.aclose()
        await replays.aclose()
        await pool.disconnect()

    app.cleanup_ctx.append(lifecycle)
    app.router.add_get("/live/stream", stream)
    app.router.add_get("/live/health", health)
    return app


def main(argv: list[str] | None = None) -> None:
    settings = config.from_environment()
    parser = argparse.ArgumentParser(prog="parley-live", description=__doc__.splitlines()[0])
    parser.add_argument("--bind", default=settings["LIVE_SERVER_BIND"], help="host:port (COMMUNITY_LIVE_SERVER_BIND)")
    args = parser.parse_args(argv)
    if not settings["REDIS_URL"]:
        parser.error("parley-live needs COMMUNITY_REDIS_URL (the embedded shape streams from Flask itself)")
    host, _, port = args.bind.rpartition(":")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    log.info("parley-live on %s, stream %s", args.bind, settings["LIVE_STREAM_KEY"])
    # handler_cancellation: a reader that goes away is forgotten at once, not at the next heartbeat;
    # shutdown_timeout: open streams are cut on SIGTERM, browsers reconnect to the next process.
    web.run_app(make_app(settings), host=host or "127.0.0.1", port=int(port), access_log=None, print=None,
                backlog=1024, handler_cancellation=True, shutdown_timeout=2)


if __name__ == "__main__":
    main()
