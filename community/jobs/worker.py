"""The RQ worker process. Only this module and queue.py import rq."""
from __future__ import annotations

from flask import Flask

from . import queue
from .redis_conn import redis_connection


def run_worker(app: Flask, burst: bool = False) -> bool:
    from rq import Worker

    # Jobs built in this process reuse this app instead of creating their own.
    queue._worker_app = app
    connection = redis_connection(app)
    # RQ takes the next job from the first queue that has one: urgent jobs first.
    return Worker(list(queue.rq_queues(app)), connection=connection).work(burst=burst, with_scheduler=True)
