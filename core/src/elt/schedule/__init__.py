"""Schedules: ``elt scheduler`` starts jobs and runs on cron times, one machine, no service.

:mod:`elt.schedule.scheduler` is the loop (clock and launcher injected, so its timing is
tested with a fake clock); :mod:`elt.schedule.service` runs it for a project with the real
clock, child ``elt schedule run`` processes, the run history and signal handling;
:mod:`elt.schedule.cron` computes fire times. :mod:`elt.schedule.airflow` hands the
schedules to Airflow instead, as DAG files (``elt schedule export airflow``).
"""

from __future__ import annotations

from elt.schedule.cron import next_fire
from elt.schedule.scheduler import DEFAULT_POLL, Child, Clock, Scheduler, SystemClock
from elt.schedule.service import (
    SCHEDULER_LOG,
    ScheduleLauncher,
    run_scheduler,
    schedule_state_ids,
)

__all__ = [
    "DEFAULT_POLL",
    "SCHEDULER_LOG",
    "Child",
    "Clock",
    "ScheduleLauncher",
    "Scheduler",
    "SystemClock",
    "next_fire",
    "run_scheduler",
    "schedule_state_ids",
]
