"""Liveness and readiness probes for load balancers and orchestrators."""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify
from sqlalchemy import text

from .. import migrate
from ..extensions import db

bp = Blueprint("health", __name__)


@bp.route("/healthz")
def healthz():
    """The process is alive and serving; checks nothing else on purpose."""
    return jsonify(status="ok")


@bp.route("/readyz")
def readyz():
    """Ready for traffic: the database answers, migrations are at head, Redis answers if configured."""
    checks = {"database": _check_database(), "migrations": _check_migrations(), "redis": _check_redis()}
    ready = all(value in ("ok", "not configured") for value in checks.values())
    return jsonify(status="ready" if ready else "not ready", checks=checks), 200 if ready else 503


def _check_database() -> str:
    try:
        with db.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        return "ok"
    except Exception as error:  # any driver error means not ready
        return f"error: {type(error).__name__}"


def _check_migrations() -> str:
    try:
        return "ok" if migrate.is_at_head(db.engine) else "behind head"
    except Exception as error:
        return f"error: {type(error).__name__}"


def _check_redis() -> str:
    if not current_app.config.get("REDIS_URL"):
        return "not configured"
    from ..jobs.redis_conn import redis_connection

    try:
        redis_connection(current_app).ping()
        return "ok"
    except Exception as error:
        return f"error: {type(error).__name__}"
