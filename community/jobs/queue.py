"""The job queue behind a small interface: inline (in-process) by default, RQ when Redis is set.

Services call `enqueue(job_function, *ids)` after they commit; the function must be registered with
`@job("name")` (registry.py), and only that name travels, to RQ or to the after-response list. A
job takes ids, loads fresh rows and is safe to run twice. Inline jobs run after the response has
been sent when there is a request, so they never delay it; outside a request (CLI, tests) they run
at once.

"After the response" means after the server has taken the last byte of the body or closed it,
whichever comes first. Waiting for close() alone lost jobs: werkzeug's server (`flask run`, the
embedded default) skips close() when the browser resets the connection after a redirect, and the
sign-up mail or a reply to X was silently never sent.
"""
from __future__ import annotations

import logging
from typing import Any, Callable, Iterable, Iterator

from flask import Flask, current_app, has_request_context

from .registry import name_of, resolve

log = logging.getLogger(__name__)

# What RQ imports and calls; jobs queued by every release carry this path, so it never moves.
RQ_ENTRY_POINT = "community.jobs.queue.run_in_app"


def enqueue(job: Callable[..., Any], *args: Any, urgent: bool = False) -> None:
    """Run the registered job `job(*args)` off the request path (TypeError if it is not registered).

    urgent: a job readers wait for (a reply becoming searchable). On RQ it goes to a queue the
    workers empty first, so a burst of slower jobs (notifications, emails) never delays it."""
    task = name_of(job)
    app = current_app._get_current_object()
    if app.config.get("JOB_QUEUE") == "rq" and _enqueue_rq(app, task, args, urgent):
        return
    if has_request_context() and not app.config.get("JOBS_RUN_IMMEDIATELY"):
        _after_response(app, task, args)
        return
    run_job(app, task, args)


def _enqueue_rq(app: Flask, task: str, args: tuple, urgent: bool) -> bool:
    """Hand the job to RQ; False when Redis cannot take it, so the caller runs it in-process.

    Jobs are idempotent and take ids, so running one here instead of on a worker changes where it
    runs, never what it does; a job already waiting in Redis stays there for the worker.
    """
    from redis.exceptions import RedisError

    try:
        rq_queues(app)[0 if urgent else 1].enqueue(RQ_ENTRY_POINT, task, *args)
        return True
    except RedisError as error:
        log.warning("Redis unavailable (%s); running job %s%r in-process", type(error).__name__, task, args)
        return False


def run_job(app: Flask, task: str, args: tuple) -> None:
    """Run a job, by its registered (or legacy) name, in a fresh app context, so it has its own
    database session."""
    with app.app_context():
        try:
            resolve(task)(*args)
        except Exception:
            log.exception("job %s%r failed", task, args)
            if app.config.get("JOBS_RAISE"):
                raise


JOBS_ENVIRON_KEY = "parley.after_response_jobs"


def _after_response(app: Flask, task: str, args: tuple) -> None:
    from flask import g

    pending = g.setdefault("pending_jobs", [])
    pending.append((task, args))


class RunJobsAfterResponse:
    """WSGI middleware: runs the request's inline jobs once the body has been sent or closed."""

    def __init__(self, app: Flask, wsgi_app: Callable) -> None:
        self.app, self.wsgi_app = app, wsgi_app

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        # A list shared by reference, so a middleware that copies environ cannot hide the jobs.
        jobs: list[tuple[str, tuple]] = []
        environ[JOBS_ENVIRON_KEY] = jobs
        body = self.wsgi_app(environ, start_response)
        if not jobs:
            return body
        return _BodyThenJobs(body, lambda: [run_job(self.app, task, args) for task, args in jobs])


class _BodyThenJobs:
    """The body, then the jobs: on the last chunk, on close(), or when dropped unfinished."""

    def __init__(self, body: Iterable[bytes], run_jobs: Callable[[], Any]) -> None:
        self.body, self._run_jobs = body, run_jobs

    def __iter__(self) -> Iterator[bytes]:
        try:
            yield from self.body
        finally:  # also when the server drops the iterator after a failed write
            self._run_once()

    def close(self) -> None:
        try:
            close_body = getattr(self.body, "close", None)
            if close_body is not None:
                close_body()
        finally:
            self._run_once()

    def _run_once(self) -> None:
        run_jobs, self._run_jobs = self._run_jobs, None
        if run_jobs is not None:
            run_jobs()


def hand_over_pending_jobs(_error) -> None:
    """teardown_request (create_app adds it), not after_request: a job queued by any after_request
    hook is handed over too, to RunJobsAfterResponse, which runs them once the body is sent."""
    from flask import g, request

    pending = g.pop("pending_jobs", [])
    jobs = request.environ.get(JOBS_ENVIRON_KEY)
    if jobs is not None:
        jobs.extend(pending)
    elif pending:  # app.wsgi_app called without the middleware: run them rather than lose them
        app = current_app._get_current_object()
        for task, args in pending:
            run_job(app, task, args)


def rq_queues(app: Flask) -> tuple:
    """The urgent queue and the normal one, in the order workers take jobs from them."""
    from rq import Queue

    from .redis_conn import redis_connection

    name, connection = app.config.get("RQ_QUEUE_NAME", "community"), redis_connection(app)
    return Queue(f"{name}-urgent", connection=connection), Queue(name, connection=connection)


_worker_app: Flask | None = None


def run_in_app(task: str, *args: Any) -> None:
    """Entry point RQ workers call (RQ_ENTRY_POINT): builds the app once per worker process. `task`
    is a registered name, or the "module:function" string an earlier release queued."""
    global _worker_app
    if _worker_app is None:
        from .. import create_app

        _worker_app = create_app()
    run_job(_worker_app, task, args)
