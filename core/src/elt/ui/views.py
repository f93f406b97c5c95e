"""How values read on the page: durations, counts, rates, times, statuses (Jinja2 filters).

Times are shown in UTC, as the history keeps them and ``elt runs`` prints them; a
schedule's next firing is shown in its own time zone.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

__all__ = ["FILTERS", "count", "duration", "percent", "rate", "utc", "value"]

_MINUTE = 60
_HOUR = 3600


def duration(seconds: float | None) -> str:
    """``0.4 s``, ``12.3 s``, ``4 min 05 s``, ``2 h 07 min``; an em dash when unknown."""
    if seconds is None:
        return "—"
    if seconds < _MINUTE:
        return f"{seconds:.1f} s"
    whole = round(seconds)
    if whole < _HOUR:
        return f"{whole // _MINUTE} min {whole % _MINUTE:02d} s"
    return f"{whole // _HOUR} h {whole % _HOUR // _MINUTE:02d} min"


def count(number: int | None) -> str:
    """``1,234,567``; an em dash when nothing was counted."""
    return "—" if number is None else f"{number:,}"


def rate(per_second: float | None) -> str:
    """``12,345/s``; an em dash while too short to tell."""
    return "—" if per_second is None else f"{per_second:,.0f}/s"


def percent(share: float | None) -> str:
    """``97.5 %``; an em dash before anything finished."""
    return "—" if share is None else f"{share * 100:.1f} %"


def utc(moment: datetime | None) -> str:
    """``2026-01-02 03:04:05Z``."""
    if moment is None:
        return "—"
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%SZ")


def zoned(moment: datetime) -> str:
    """``2026-01-02 03:00 CET (Europe/Berlin)``: a time in its own zone."""
    zone = getattr(moment.tzinfo, "key", None) or moment.tzname() or ""
    label = moment.tzname() or ""
    suffix = f"{label} ({zone})" if zone and zone != label else label
    return f"{moment:%Y-%m-%d %H:%M} {suffix}".rstrip()


def value(setting: object) -> str:
    """A setting's value as text: strings as they are, the rest as JSON."""
    if isinstance(setting, str):
        return setting
    return json.dumps(setting, ensure_ascii=False, default=str)


def pretty(document: object) -> str:
    """A JSON document (a state) indented for reading."""
    return json.dumps(document, indent=2, ensure_ascii=False, sort_keys=True, default=str)


FILTERS: dict[str, Callable[..., Any]] = {
    "duration": duration,
    "number": count,
    "rate": rate,
    "percent": percent,
    "utc": utc,
    "zoned": zoned,
    "value": value,
    "pretty": pretty,
}
