"""The job queue behind a small interface: inline (in-process) by default, RQ when Redis is set.

Services call `enqueue("module:function", *ids)` after they commit. A job takes ids, loads fresh
rows and is safe to run twice. Inline jobs run after the response has been sent when there is a
request, so they never delay it; outside a request (CLI, tests) they run at once.
"""
from __future__ import annotations

import importlib
import logging
from typing import Any, Callable

from flask import Flask, current_app, has_request_context

log = logging.getLogger(__name__)


def resolve(task: str) -> Callable[..., Any]:
    module_name, _, func_name = task.partition(":")
    return getattr(importlib.import_module(module_name), func_name)


def enqueue(task: str, *args: Any) -> None:
    app = current_app._get_current_object()
    if app.config.get("JOB_QUEUE") == "rq" and _enqueue_rq(app, task, args):
        return
    if has_request_context() and not app.config.get("JOBS_RUN_IMMEDIATELY"):
        _after_response(app, task, args)
        return
    run_job(app, task, args)


def _enqueue_rq(app: Flask, task: str, args: tuple) -> bool:
    """Hand the job to RQ; False when Redis cannot take it, so the caller runs it in-process.

    Jobs are idempotent and take ids, so running one here instead of on a worker changes where it
    runs, never what it does; a job already waiting in Redis stays there for the worker.
    """
    from redis.exceptions import RedisError

    try:
        _rq_queue(app).enqueue("community.jobs.queue.run_in_app", task, *args)
        return True
    except RedisError as error:
        log.warning("Redis unavailable (%s); running job %s%r in-process", type(error).__name__, task, args)
        return False


def run_job(app: Flask, task: str, args: tuple) -> None:
    """Run a job in a fresh app context, so it has its own database session."""
    with app.app_context():
        try:
            resolve(task)(*args)
        except Exception:
            log.exception("job %s%r failed", task, args)
            if app.config.get("JOBS_RAISE"):
                raise


def _after_response(app: Flask, task: str, args: tuple) -> None:
    from flask import g

    pending = g.setdefault("pending_jobs", [])
    pending.append((task, args))


def init_app(app: Flask) -> None:
    @app.after_request
    def schedule_pending_jobs(response):
        from flask import g

        pending = g.pop("pending_jobs", [])
        if pending:
            response.call_on_close(lambda: [run_job(app, task, args) for task, args in pending])
        return response


def _rq_queue(app: Flask):
    from rq import Queue

    from .redis_conn import redis_connection

    return Queue(app.config.get("RQ_QUEUE_NAME", "community"), connection=redis_connection(app))


_worker_app: Flask | None = None


def run_in_app(task: str, *args: Any) -> None:
    """Entry point RQ workers call: builds the app once per worker process."""
    global _worker_app
    if _worker_app is None:
        from .. import create_app

        _worker_app = create_app()
    run_job(_worker_app, task, args)
