"""The built-in scheduler: each periodic task runs once per interval, however many processes tick."""
from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from community.extensions import db
from community.jobs import scheduler
from community.jobs.registry import job, resolve
from community.jobs.scheduler import PeriodicTask
from community.models import ScheduledRun, SiteSetting, utcnow

RUNS: list[str] = []


@job("tests.count_run")
def count_run() -> int:
    """A periodic task that leaves a trace in the database (jobs run in their own app context)."""
    row = db.session.get(SiteSetting, "scheduled-count") or SiteSetting(key="scheduled-count", value=0)
    row.value = row.value + 1
    db.session.add(row)
    db.session.commit()
    return 7


@job("tests.fail")
def fail() -> int:
    raise RuntimeError("upstream said no")


def every_minute(task: str = "tests.count_run") -> PeriodicTask:
    return PeriodicTask(task, lambda _app: 60)


def times_run() -> int:
    db.session.expire_all()
    row = db.session.get(SiteSetting, "scheduled-count")
    return row.value if row else 0


def test_a_task_runs_once_per_interval_however_often_the_scheduler_ticks(app):
    tasks = [every_minute()]
    assert scheduler.tick(app, now=6_000, tasks=tasks) == 1
    assert scheduler.tick(app, now=6_030, tasks=tasks) == 0  # same minute: already claimed
    assert scheduler.tick(app, now=6_059, tasks=tasks) == 0
    assert times_run() == 1
    assert scheduler.tick(app, now=6_060, tasks=tasks) == 1  # the next minute
    assert times_run() == 2
    runs = db.session.scalars(select(ScheduledRun).order_by(ScheduledRun.slot)).all()
    assert [(run.slot, run.done, run.error) for run in runs] == [(100, 7, None), (101, 7, None)]
    assert all(run.finished_at is not None for run in runs)


def test_schedulers_ticking_at_once_in_several_processes_run_a_task_once(app):
    """Four schedulers wake in the same second: the unique (task, slot) key lets one of them win."""
    tasks = [every_minute()]
    claimed: list[int] = []
    start = threading.Barrier(4)

    def one_scheduler() -> None:
        start.wait()
        claimed.append(scheduler.tick(app, now=12_000, tasks=tasks))

    workers = [threading.Thread(target=one_scheduler) for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(30)
    assert sorted(claimed) == [0, 0, 0, 1]
    assert times_run() == 1
    assert db.session.scalar(select(func.count()).select_from(ScheduledRun)) == 1


def test_a_failing_task_is_recorded_and_the_others_still_run(app):
    app.config["JOBS_RAISE"] = False  # as deployed: a job's failure is logged, not raised
    tasks = [every_minute("tests.fail"), every_minute()]
    assert scheduler.tick(app, now=6_000, tasks=tasks) == 2
    assert times_run() == 1
    failed = db.session.scalar(select(ScheduledRun).where(ScheduledRun.task == "tests.fail"))
    assert failed.error == "RuntimeError: upstream said no" and failed.done is None
    assert failed.finished_at is not None


def test_running_a_claimed_run_twice_runs_the_task_once(app):
    run = ScheduledRun(task="tests.count_run", slot=1)
    db.session.add(run)
    db.session.commit()
    scheduler.run_claimed(run.id)
    scheduler.run_claimed(run.id)  # a retried job, or RQ delivering it again
    assert times_run() == 1


def test_runs_older_than_a_week_are_pruned(app):
    old = ScheduledRun(task="t:old", slot=1, claimed_at=utcnow() - timedelta(days=8))
    recent = ScheduledRun(task="t:recent", slot=1, claimed_at=utcnow() - timedelta(days=6))
    db.session.add_all([old, recent])
    db.session.commit()
    assert scheduler.prune_runs() == 1
    assert db.session.scalars(select(ScheduledRun.task)).all() == ["t:recent"]


def test_every_periodic_task_is_a_function_that_exists(app):
    for periodic in scheduler.PERIODIC_TASKS:
        assert callable(resolve(periodic.task)), periodic.task
        assert periodic.every_seconds(app) >= 60


@pytest.mark.parametrize(
    ("setting", "job_queue", "testing", "web", "worker"),
    [
        ("auto", "inline", False, True, False),  # the embedded default: `make run` times its own jobs
        ("auto", "rq", False, False, True),  # scale-out: the workers do
        ("auto", "inline", True, False, False),  # tests start none unless they ask
        ("web", "rq", True, True, False),
        ("worker", "inline", False, False, True),
        ("off", "inline", False, False, False),  # cron runs `flask community run-scheduled`
    ],
)
def test_where_the_scheduler_runs(app, setting, job_queue, testing, web, worker):
    app.config.update(SCHEDULER=setting, JOB_QUEUE=job_queue, TESTING=testing)
    assert (scheduler.runs_in(app, "web"), scheduler.runs_in(app, "worker")) == (web, worker)


def _wait_for(condition, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.05)
    return condition()


@pytest.mark.backends("sqlite")
def test_the_embedded_web_process_starts_its_scheduler_on_the_first_request(database_url, tmp_path, monkeypatch):
    from community import create_app

    monkeypatch.setattr(scheduler, "PERIODIC_TASKS", [every_minute()])
    web = create_app({"DATABASE_URL": database_url, "INSTANCE_PATH": str(tmp_path / "web"), "SECRET_KEY": "s",
                      "SCHEDULER": "web", "SCHEDULER_TICK_SECONDS": 0.05, "SEED_DEMO": False,
                      "SEARCH_INDEX_DIR": str(tmp_path / "index"), "LOG_LEVEL": "WARNING"})
    try:
        with web.app_context():
            assert times_run() == 0  # importing and configuring the app starts nothing
            assert web.test_client().get("/healthz").status_code == 200
            assert _wait_for(lambda: times_run() == 1)
            time.sleep(0.3)  # several more ticks in the same minute
            assert times_run() == 1
    finally:
        scheduler.stop_in_process(web)


def test_the_worker_command_starts_the_scheduler_beside_rq(app, monkeypatch):
    from community.jobs import worker

    monkeypatch.setattr(scheduler, "PERIODIC_TASKS", [every_minute()])
    monkeypatch.setattr(worker, "run_worker", lambda _app, burst=False: True)
    app.config.update(REDIS_URL="redis://127.0.0.1:6379/0", SCHEDULER="worker", SCHEDULER_TICK_SECONDS=0.05)
    try:
        result = app.test_cli_runner().invoke(args=["community", "worker"])
        assert result.exit_code == 0, result.output
        assert _wait_for(lambda: times_run() == 1)
        burst = app.test_cli_runner().invoke(args=["community", "worker", "--burst"])
        assert burst.exit_code == 0, burst.output
    finally:
        scheduler.stop_in_process(app)
