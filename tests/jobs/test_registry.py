"""Jobs by reference: every job has a registered name, every name the code uses is registered, and
the "module:function" strings earlier releases left in Redis and in scheduled_runs still run."""
from __future__ import annotations

import ast
import importlib
import subprocess
import sys
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from community import create_app
from community.extensions import db
from community.jobs import queue, registry
from community.jobs.registry import name_of, registered_names, resolve
from community.models import ScheduledRun, utcnow

pytestmark = pytest.mark.backends("sqlite")

PACKAGE = Path(__file__).resolve().parents[2] / "community"

# Where each job lived before, as the last releases queued it, and where it lives now. Written out
# here rather than read from registry.LEGACY_NAMES, so that a dropped alias fails the test.
MOVED = {
    "community.services.account_emails:send_verification_email": "community.services.account_emails:send_verification_email",
    "community.services.account_emails:send_email_change_email": "community.services.account_emails:send_email_change_email",
    "community.services.account_emails:send_email_changed_notice": "community.services.account_emails:send_email_changed_notice",
    "community.services.account_emails:send_password_reset_email": "community.services.account_emails:send_password_reset_email",
    "community.services.accounts:prune_revoked_logins": "community.services.accounts:prune_revoked_logins",
    "community.services.notifications:handle_event": "community.services.notifications:handle_event",
    "community.services.notifications:send_notification_email": "community.services.notifications:send_notification_email",
    "community.services.notifications:send_daily_digests": "community.services.notifications:send_daily_digests",
    "community.services.lifecycle:auto_close_solved": "community.services.lifecycle:auto_close_solved",
    "community.services.lifecycle:send_accept_reminders": "community.services.lifecycle:send_accept_reminders",
    "community.services.lifecycle:email_accept_reminder": "community.services.lifecycle:email_accept_reminder",
    "community.services.bridge_ingest:scheduled_poll": "community.bridge.ingest:scheduled_poll",
    "community.services.bridge_ingest:purge_deleted": "community.bridge.ingest:purge_deleted",
    "community.services.bridge_invite:auto_invite": "community.bridge.respond:auto_invite",
    "community.services.bridge_outbox:send": "community.bridge.outbox:send",
    "community.services.bridge_outbox:process_due": "community.bridge.outbox:process_due",
    "community.services.csat:offer": "community.metrics.csat:offer",
    "community.services.csat:offer_recent": "community.metrics.csat:offer_recent",
    "community.services.sla:check_breaches": "community.metrics.sla:check_breaches",
    "community.services.sla:announce_breach": "community.metrics.sla:announce_breach",
    "community.services.metrics_rollup:refresh": "community.metrics.rollup:refresh",
    "community.services.search:process_outbox": "community.search.outbox:process_outbox",
    "community.services.search:compact_index": "community.search.upkeep:compact_index",
    "community.services.search:scheduled_maintenance": "community.search.upkeep:scheduled_maintenance",
    "community.search.queries:process_outbox": "community.search.outbox:process_outbox",
    "community.search.queries:compact_index": "community.search.upkeep:compact_index",
    "community.search.queries:scheduled_maintenance": "community.search.upkeep:scheduled_maintenance",
    "community.services.webhooks:on_forum_event": "community.webhooks.delivery:on_forum_event",
    "community.services.webhooks:deliver": "community.webhooks.delivery:deliver",
    "community.services.webhooks:notify_admins_disabled": "community.webhooks.delivery:notify_admins_disabled",
    "community.services.webhooks:retry_due": "community.webhooks.delivery:retry_due",
    "community.jobs.scheduler:run_claimed": "community.jobs.scheduler:run_claimed",
    "community.jobs.scheduler:prune_runs": "community.jobs.scheduler:prune_runs",
}


def _at(location: str):
    module, _, function = location.partition(":")
    return getattr(importlib.import_module(module), function)


# --- what the code says, read with ast ---------------------------------------------------------


def _modules() -> dict[str, ast.Module]:
    trees = {}
    for path in PACKAGE.rglob("*.py"):
        dotted = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts).removesuffix(".__init__")
        trees[dotted] = ast.parse(path.read_text(encoding="utf-8"))
    return trees


def _calls(tree: ast.Module, name: str) -> list[ast.Call]:
    """Calls of `name(...)` or `<module>.name(...)` (not `rq_queue.enqueue`, whose target is RQ's)."""
    def called(func: ast.expr) -> bool:
        return (isinstance(func, ast.Name) and func.id == name) or (
            isinstance(func, ast.Attribute) and func.attr == name and isinstance(func.value, ast.Name))

    return [node for node in ast.walk(tree) if isinstance(node, ast.Call) and called(node.func) and node.args]


def _decorated_names(tree: ast.Module) -> list[str]:
    functions = [node for node in ast.walk(tree) if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))]
    return [decorator.args[0].value for function in functions for decorator in function.decorator_list
            if isinstance(decorator, ast.Call) and isinstance(decorator.func, ast.Name)
            and decorator.func.id == "job"]


def _bound_by_import(module: str, tree: ast.Module, local: str):
    """What `local` names in `module`: a module-level name, or one a function imports for itself."""
    loaded = importlib.import_module(module)
    if hasattr(loaded, local):
        return getattr(loaded, local)
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            for alias in node.names:
                if (alias.asname or alias.name) == local:
                    source = importlib.import_module("." * node.level + (node.module or ""), loaded.__package__)
                    return getattr(source, alias.name, None) or importlib.import_module(f"{source.__name__}.{alias.name}")
    raise AssertionError(f"{module}: cannot tell what {local!r} is")


def _referenced(module: str, tree: ast.Module, expression: ast.expr):
    if isinstance(expression, ast.Name):
        return _bound_by_import(module, tree, expression.id)
    if isinstance(expression, ast.Attribute):
        return getattr(_referenced(module, tree, expression.value), expression.attr)
    raise AssertionError(f"{module}: enqueue({ast.unparse(expression)}, ...) does not name a job function")


def test_every_registered_name_resolves_to_a_function_of_that_name():
    names = registered_names()
    assert len(names) >= 30
    for name in names:
        function = resolve(name)
        assert name_of(function) == name
        assert name.rsplit(".", 1)[-1] == function.__name__, f"{name} is {function.__name__}"


def test_every_job_in_the_package_is_registered_from_the_listed_job_modules():
    declared = {}
    for module, tree in _modules().items():
        for name in _decorated_names(tree):
            assert name not in declared, f"{name} is declared in {declared[name]} and {module}"
            declared[name] = module
    assert declared, "found no @job in the package"
    assert {name for name in registered_names() if not name.startswith("tests.")} == set(declared)
    unlisted = sorted(set(declared.values()) - set(registry.JOB_MODULES))
    assert unlisted == [], "add these to registry.JOB_MODULES, or a fresh worker cannot run their jobs"


def test_every_enqueued_job_in_the_code_is_a_registered_function():
    seen = 0
    for module, tree in _modules().items():
        for call in _calls(tree, "enqueue"):
            target = _referenced(module, tree, call.args[0])
            assert name_of(target), f"{module}: {ast.unparse(call)}"
            seen += 1
    assert seen >= 25  # about 30 call sites: the walk really found them


def test_every_periodic_task_in_the_code_is_a_registered_name():
    names = [call.args[0] for tree in _modules().values() for call in _calls(tree, "PeriodicTask")]
    assert len(names) >= 13
    for name in names:
        assert isinstance(name, ast.Constant) and name.value in registered_names(), ast.unparse(name)


def test_a_fresh_process_knows_every_job_without_importing_the_app():
    """A fresh RQ worker has loaded only the app; here not even that: the registry loads its modules."""
    script = "from community.jobs.registry import registered_names; print(' '.join(registered_names()))"
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120,
                            cwd=PACKAGE.parent)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.split() == [name for name in registered_names() if not name.startswith("tests.")]


def test_enqueue_refuses_what_is_not_a_registered_job(app):
    def not_a_job() -> None:
        raise AssertionError("ran")

    with pytest.raises(TypeError, match="not a registered job"):
        queue.enqueue(not_a_job)
    with pytest.raises(TypeError, match="not a registered job"):  # the string form of earlier releases
        queue.enqueue("community.jobs.scheduler:prune_runs")
    with pytest.raises(LookupError):
        resolve("no.such_job")


# --- the names earlier releases left behind ----------------------------------------------------


def test_every_legacy_string_resolves_to_the_job_now_at_its_new_place():
    for old, new in MOVED.items():
        assert resolve(old) is _at(new), old
        assert resolve(old) is resolve(name_of(_at(new))), old


JOBS_BORN_WITH_THE_REGISTRY = {"attachments.remove_orphans", "identity.prune_logins"}


def test_the_strings_of_the_code_before_the_registry_resolve_too():
    """What the code queued just before the registry: each job's own module:function. (Moving a job's
    module fails this until its old string is in LEGACY_NAMES; drop the test with the aliases.)
    Jobs added after the registry never had such a string."""
    for name in set(registered_names()) - JOBS_BORN_WITH_THE_REGISTRY:
        function = resolve(name)
        if function.__module__.startswith("community."):
            assert resolve(f"{function.__module__}:{function.__name__}") is function, name


def test_every_legacy_alias_points_at_a_registered_name():
    assert set(registry.LEGACY_NAMES.values()) <= set(registered_names())


def test_a_run_claimed_under_an_old_name_still_runs(app):
    old_run = ScheduledRun(task="community.jobs.scheduler:prune_runs", slot=1, claimed_at=utcnow() - timedelta(days=8))
    db.session.add(old_run)
    db.session.commit()
    from community.jobs.scheduler import run_claimed

    run_claimed(old_run.id)
    db.session.expire_all()
    assert db.session.scalars(select(ScheduledRun.id)).all() == []  # it pruned itself: it ran


def test_jobs_an_old_release_queued_in_redis_are_run_by_a_burst_worker(app, redis_url, database_url, tmp_path):
    from community.jobs.worker import run_worker

    rq_app = create_app({
        "DATABASE_URL": database_url, "INSTANCE_PATH": str(tmp_path / "rq"), "REDIS_URL": redis_url,
        "JOB_QUEUE": "rq", "RQ_QUEUE_NAME": f"test-{uuid.uuid4().hex[:8]}", "LOG_LEVEL": "WARNING",
        "SCHEDULER": "off", "JOBS_RAISE": True,  # a job that cannot be resolved fails in RQ, not only in a log
    })
    with rq_app.app_context():
        db.session.add(ScheduledRun(task="t:old", slot=1, claimed_at=utcnow() - timedelta(days=8)))
        db.session.commit()
        normal = queue.rq_queues(rq_app)[1]
        # Exactly what an earlier release put in Redis: RQ's entry point and the "module:function" string.
        invite = normal.enqueue("community.jobs.queue.run_in_app", "community.services.bridge_invite:auto_invite")
        prune = normal.enqueue("community.jobs.queue.run_in_app", "community.jobs.scheduler:prune_runs")
        run_worker(rq_app, burst=True)
        assert [invite.get_status(refresh=True), prune.get_status(refresh=True)] == ["finished", "finished"]
    db.session.expire_all()
    assert db.session.scalars(select(ScheduledRun.task)).all() == []
