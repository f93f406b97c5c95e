"""Fire times of a schedule's ``interval``: croniter, with seconds as a 6th field, in a zone.

Cron fields are read in the schedule's ``timezone`` (an IANA name, default UTC), whatever
the machine's own zone. In UTC a schedule fires at the same instant on every machine and
daylight saving time never moves it. In a zone with daylight saving time, what cron(8)
does: a firing in the hour that is skipped in spring runs at the first time after it
(croniter's choice: ``30 2 * * *`` at 03:00), and a schedule with a fixed hour fires once
in the hour that repeats in autumn (at its first occurrence), while one whose hour field is
a wildcard (``*/30 * * * *``, ``@hourly``) keeps firing through both, as the clock moves.
``@hourly``, ``@daily``, ``@weekly``, ``@monthly`` and ``@yearly`` are croniter's aliases.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from croniter import croniter

__all__ = ["next_fire"]

_FIXED_HOUR_ALIASES = frozenset(
    {"@daily", "@midnight", "@weekly", "@monthly", "@yearly", "@annually"}
)


def next_fire(interval: str, after: datetime, timezone: str = "UTC") -> datetime:
    """The first time ``interval`` fires strictly after ``after`` (aware), in UTC."""
    zone = ZoneInfo(timezone)
    fire = _next(interval, after, zone)
    while _repeated(fire, zone) and _fixed_hour(interval):
        fire = _next(interval, fire, zone)  # the second 02:30 of the night the clock goes back
    return fire


def _next(interval: str, after: datetime, zone: ZoneInfo) -> datetime:
    fire: datetime = croniter(interval, after.astimezone(zone)).get_next(datetime)
    return fire.astimezone(UTC)


def _repeated(moment: datetime, zone: ZoneInfo) -> bool:
    """Whether ``moment`` is the second occurrence of its local wall time (autumn's hour)."""
    local = moment.astimezone(zone)
    first = local.replace(fold=0).utcoffset()
    return first != local.replace(fold=1).utcoffset() and local.utcoffset() != first


def _fixed_hour(interval: str) -> bool:
    text = interval.strip().lower()
    if text.startswith("@"):
        return text in _FIXED_HOUR_ALIASES
    fields = text.split()
    return len(fields) > 1 and "*" not in fields[1]
