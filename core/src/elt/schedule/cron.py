"""Fire times of a schedule's ``interval``: croniter, in UTC, with seconds as a 6th field.

Cron fields are read in UTC, whatever the machine's time zone, so a schedule fires at the
same instant on every machine and no firing is doubled or lost when daylight saving time
changes. ``@hourly``, ``@daily``, ``@weekly``, ``@monthly`` and ``@yearly`` are croniter's
own aliases.
"""

from __future__ import annotations

from datetime import UTC, datetime

from croniter import croniter

__all__ = ["next_fire"]


def next_fire(interval: str, after: datetime) -> datetime:
    """The first time ``interval`` fires strictly after ``after`` (aware, UTC)."""
    fire: datetime = croniter(interval, after.astimezone(UTC)).get_next(datetime)
    return fire.astimezone(UTC)
