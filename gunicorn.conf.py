"""gunicorn settings for `make serve-prod`. Override any of them with GUNICORN_* environment variables.

gthread workers: a page spends part of its time waiting on PostgreSQL and Redis, so a few threads
per process keep the CPU busy without the memory of more processes. Workers = 2 x cores.
"""
import gc
import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2))
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "gthread")
threads = int(os.environ.get("GUNICORN_THREADS", 4))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 30))
graceful_timeout = 20
keepalive = 5
# Restart workers now and then so a slow leak can never take a process down. Rarely: a new worker
# imports the app (about 1.5 s of CPU), and at 5,000 the widget JSON at 4,000 req/s restarted a
# worker every few seconds, which made its p99 2 s instead of 20 ms (make bench-widgets).
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", 100_000))
max_requests_jitter = max_requests // 10
accesslog = os.environ.get("GUNICORN_ACCESSLOG", "-")
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1")


def post_worker_init(worker):
    """Move the loaded app's objects out of the garbage collector's reach.

    A worker holds ~150,000 long-lived objects (modules, SQLAlchemy mappers, compiled templates); a
    full collection walks all of them while every thread of the worker waits. make bench-widgets,
    4 x 4, quiet machine, two runs each: without it p99 15.2 and 188.5 ms (a collection during the
    run), with it 18.0 and 17.9 ms. Frozen, they are never walked again; what requests allocate is
    still collected. GUNICORN_GC_FREEZE=0 turns it off.
    """
    if os.environ.get("GUNICORN_GC_FREEZE", "1") != "0":
        gc.collect()
        gc.freeze()
