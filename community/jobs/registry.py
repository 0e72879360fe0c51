"""The job registry: every background job under a stable, short, dotted name.

A job function is registered with `@job("bridge.auto_invite")`. `enqueue(auto_invite, ...)` looks up
that name and only the name travels (to Redis, into `scheduled_runs.task`), so a module can move or
be renamed without stranding the jobs already waiting. A name reads `<domain>.<function>`, or
`<domain>.<area>.<function>` where a domain has two areas with jobs; it ends with the function's
name, so a grep for either finds the other. Never rename one: old names are in Redis.

Which modules define jobs: one explicit tuple, JOB_MODULES, imported before a name is resolved.
A fresh RQ worker has imported only the app, and whether a job runs must not depend on which modules
a request happened to load. The tuple was chosen over each domain package importing its job modules
because it is one place to read, and it keeps the domains' `__init__` files free of imports made
only for their side effect; tests/jobs/test_registry.py fails when a module with an `@job` is missing
from it. The modules are named by string so that this package imports no domain (jobs sit below
them); an unimportable entry fails the first resolve, loudly.
"""
from __future__ import annotations

import importlib
import threading
from typing import Any, Callable, TypeVar

Job = TypeVar("Job", bound=Callable[..., Any])

JOB_MODULES = (
    "community.services.account_emails",
    "community.services.accounts",
    "community.services.notifications",
    "community.services.lifecycle",
    "community.bridge.ingest",
    "community.bridge.respond",
    "community.bridge.outbox",
    "community.metrics.csat",
    "community.metrics.sla",
    "community.metrics.rollup",
    "community.search.outbox",
    "community.search.upkeep",
    "community.webhooks.delivery",
    "community.attachments.service",
    "community.identity.logout",
    "community.jobs.scheduler",
)

# Kept for one release (remove in the release after the one that ships the registry): the
# "module:function" strings earlier releases queued in Redis and stored in scheduled_runs.task.
LEGACY_NAMES = {
    # before the domain packages (issue 14, step 1)
    "community.services.account_emails:send_verification_email": "accounts.send_verification_email",
    "community.services.account_emails:send_email_change_email": "accounts.send_email_change_email",
    "community.services.account_emails:send_email_changed_notice": "accounts.send_email_changed_notice",
    "community.services.account_emails:send_password_reset_email": "accounts.send_password_reset_email",
    "community.services.accounts:prune_revoked_logins": "accounts.prune_revoked_logins",
    "community.services.notifications:handle_event": "notifications.handle_event",
    "community.services.notifications:send_notification_email": "notifications.send_notification_email",
    "community.services.notifications:send_daily_digests": "notifications.send_daily_digests",
    "community.services.lifecycle:auto_close_solved": "lifecycle.auto_close_solved",
    "community.services.lifecycle:send_accept_reminders": "lifecycle.send_accept_reminders",
    "community.services.lifecycle:email_accept_reminder": "lifecycle.email_accept_reminder",
    "community.services.bridge_ingest:scheduled_poll": "bridge.scheduled_poll",
    "community.services.bridge_ingest:purge_deleted": "bridge.purge_deleted",
    "community.services.bridge_invite:auto_invite": "bridge.auto_invite",
    "community.services.bridge_outbox:send": "bridge.outbox.send",
    "community.services.bridge_outbox:process_due": "bridge.outbox.process_due",
    "community.services.csat:offer": "metrics.csat.offer",
    "community.services.csat:offer_recent": "metrics.csat.offer_recent",
    "community.services.sla:check_breaches": "metrics.sla.check_breaches",
    "community.services.sla:announce_breach": "metrics.sla.announce_breach",
    "community.services.metrics_rollup:refresh": "metrics.rollup.refresh",
    "community.services.search:process_outbox": "search.process_outbox",
    "community.services.search:compact_index": "search.compact_index",
    "community.services.search:scheduled_maintenance": "search.scheduled_maintenance",
    "community.services.webhooks:on_forum_event": "webhooks.on_forum_event",
    "community.services.webhooks:deliver": "webhooks.deliver",
    "community.services.webhooks:notify_admins_disabled": "webhooks.notify_admins_disabled",
    "community.services.webhooks:retry_due": "webhooks.retry_due",
    "community.jobs.scheduler:run_claimed": "scheduler.run_claimed",
    "community.jobs.scheduler:prune_runs": "scheduler.prune_runs",
    # after the move, until the registry (the search split renamed its modules once more)
    "community.bridge.ingest:scheduled_poll": "bridge.scheduled_poll",
    "community.bridge.ingest:purge_deleted": "bridge.purge_deleted",
    "community.bridge.respond:auto_invite": "bridge.auto_invite",
    "community.bridge.outbox:send": "bridge.outbox.send",
    "community.bridge.outbox:process_due": "bridge.outbox.process_due",
    "community.metrics.csat:offer": "metrics.csat.offer",
    "community.metrics.csat:offer_recent": "metrics.csat.offer_recent",
    "community.metrics.sla:check_breaches": "metrics.sla.check_breaches",
    "community.metrics.sla:announce_breach": "metrics.sla.announce_breach",
    "community.metrics.rollup:refresh": "metrics.rollup.refresh",
    "community.search.queries:process_outbox": "search.process_outbox",
    "community.search.queries:compact_index": "search.compact_index",
    "community.search.queries:scheduled_maintenance": "search.scheduled_maintenance",
    "community.search.outbox:process_outbox": "search.process_outbox",
    "community.search.upkeep:compact_index": "search.compact_index",
    "community.search.upkeep:scheduled_maintenance": "search.scheduled_maintenance",
    "community.webhooks.delivery:on_forum_event": "webhooks.on_forum_event",
    "community.webhooks.delivery:deliver": "webhooks.deliver",
    "community.webhooks.delivery:notify_admins_disabled": "webhooks.notify_admins_disabled",
    "community.webhooks.delivery:retry_due": "webhooks.retry_due",
}

_JOB_NAME = "job_name"  # the attribute @job sets on the function
_jobs: dict[str, Callable[..., Any]] = {}
_loaded = threading.Event()


def job(name: str) -> Callable[[Job], Job]:
    """Register the decorated function as the job `name`."""

    def register(func: Job) -> Job:
        taken = _jobs.get(name)
        # The same function again is a module imported twice (a reload); anything else is a clash.
        if taken is not None and _where(taken) != _where(func):
            raise ValueError(f"job name {name!r} is taken by {_where(taken)}")
        _jobs[name] = func
        setattr(func, _JOB_NAME, name)
        return func

    return register


def name_of(func: Callable[..., Any]) -> str:
    """The registered name of a job function; TypeError for anything @job did not register."""
    name = getattr(func, _JOB_NAME, None)
    if not isinstance(name, str) or name not in _jobs:
        raise TypeError(f"{func!r} is not a registered job: decorate it with @job(\"domain.name\")")
    return name


def resolve(name: str) -> Callable[..., Any]:
    """The function for a registered name, or for a legacy "module:function" string."""
    load_job_modules()
    try:
        return _jobs[LEGACY_NAMES.get(name, name)]
    except KeyError:
        raise LookupError(f"no job is registered as {name!r}") from None


def registered_names() -> list[str]:
    load_job_modules()
    return sorted(_jobs)


def load_job_modules() -> None:
    if _loaded.is_set():
        return
    for module in JOB_MODULES:
        importlib.import_module(module)
    _loaded.set()


def _where(func: Callable[..., Any]) -> str:
    return f"{func.__module__}:{func.__qualname__}"
