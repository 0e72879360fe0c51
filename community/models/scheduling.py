"""One row per periodic task and time slot: the claim that makes a task run once per slot, however
many processes run a scheduler."""
from __future__ import annotations

from datetime import datetime
from typing import Optional

from sqlalchemy import BigInteger, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, utcnow


class ScheduledRun(Base):
    __tablename__ = "scheduled_runs"
    __table_args__ = (UniqueConstraint("task", "slot", name="uq_scheduled_runs_task_slot"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    task: Mapped[str] = mapped_column(String(120))
    # Seconds since the epoch divided by the task's interval: the n-th window the task is due in.
    slot: Mapped[int] = mapped_column(BigInteger)
    claimed_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    finished_at: Mapped[Optional[datetime]]
    done: Mapped[Optional[int]] = mapped_column(Integer)
    error: Mapped[Optional[str]] = mapped_column(String(500))
