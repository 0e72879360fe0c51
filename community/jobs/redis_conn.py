"""One Redis connection per app, created on first use."""
from __future__ import annotations

from flask import Flask


def redis_connection(app: Flask):
    connection = app.extensions.get("community.redis")
    if connection is None:
        import redis

        connection = redis.Redis.from_url(app.config["REDIS_URL"], socket_connect_timeout=2, socket_timeout=5)
        app.extensions["community.redis"] = connection
    return connection
