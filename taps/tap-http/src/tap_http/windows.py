"""Date windows of an incremental stream, for ``--partitions`` and ``--partition``
(elt-partitions); opt-in per stream.

A stream whose API takes both ends of a time range (``bookmark_param`` for the start,
``partition_end_param`` for the end, e.g. ``updated_before={end}``) can set
``partition_window`` (``"7d"``, ``"12h"``, ``"30m"``, ``"90s"``): the plan then cuts the
time from its bookmark (the state's, else ``start_date``) up to ``bound`` — now, at
planning — into windows of that width, the last one shorter. A window is
``{"id": "<start>..<end>", "start": …, "end": …}`` (ISO 8601 texts); a request whose id is
not its own ends, whose ends are out of order or wider than the window, or that goes past
``bound``, is refused.

A window read sends both params and keeps the records with ``start < key <= end`` (from
``start`` inclusive in the first window when ``resend_bookmarked`` is set), whatever the
API's own ends include, so each record falls in one window; records without a key are
kept, as in every run. Its last STATE bookmarks ``bound``. A stream without a bookmark to
start from, one whose bookmark is not a timestamp or is already at ``bound``, and a parent
or child stream (a window of a parent would sync its children's windows too) are left out
of the plan and run as one unit.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from elt.errors import ConfigError
from elt.protocol.partitions import PartitionRequest
from elt.sdk.partitions import partition_field_error
from tap_http.bookmarks import instant, newer_than

__all__ = ["check_window", "in_window", "now", "parse_width", "plan_windows"]

_WIDTH: Final = re.compile(r"^([1-9][0-9]*)([smhd])$")
_UNITS: Final = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def parse_width(text: Any, where: str) -> timedelta:
    """``"7d"`` as seven days; anything else is a :class:`ConfigError` at ``where``."""
    match = _WIDTH.match(text) if isinstance(text, str) else None
    if match is None:
        raise ConfigError(
            f"expected a duration like 7d, 12h, 30m or 90s, got {text!r}", where=where
        )
    return timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})


def plan_windows(start: Any, bound: datetime, width: timedelta) -> list[dict[str, Any]] | None:
    """Windows of ``width`` from ``start`` (the bookmark, kept as its text for the first
    window) up to ``bound``; None when ``start`` is not a timestamp or not before it."""
    begin = instant(start)
    if begin is None or begin >= bound:
        return None
    edges: list[str] = [str(start)]
    moment = begin + width
    while moment < bound:
        edges.append(moment.isoformat())
        moment += width
    edges.append(bound.isoformat())
    return [
        {"id": f"{low}..{high}", "start": low, "end": high}
        for low, high in itertools.pairwise(edges)
    ]


def check_window(request: PartitionRequest, width: timedelta) -> tuple[str, str]:
    """The request's ``(start, end)``, or the error naming what a plan would not hold."""
    partition = request.partition
    ends: list[datetime] = []
    for name in ("start", "end"):
        moment = instant(partition.get(name))
        if not isinstance(partition.get(name), str) or moment is None:
            raise partition_field_error(
                f"partition.{name}", f"expected an ISO 8601 timestamp, got {partition.get(name)!r}"
            )
        ends.append(moment)
    start, end = str(partition["start"]), str(partition["end"])
    if not ends[0] < ends[1] <= ends[0] + width:
        raise partition_field_error(
            "partition.end", f"a window ends after its start and at most {width} later"
        )
    if partition.get("id") != f"{start}..{end}":
        raise partition_field_error(
            "partition.id", f"{partition.get('id')!r} is not the window's id {start}..{end}"
        )
    bound = instant(request.bound)
    if not isinstance(request.bound, str) or bound is None or ends[1] > bound:
        raise partition_field_error(
            "bound", "expected the plan's bound: the timestamp of planning, not before the end"
        )
    return start, end


def in_window(start: str, end: str, *, from_start: bool) -> Callable[[Any], bool]:
    """The test of a record's key for the window ``(start, end]`` (``[start, end]`` with
    ``from_start``); a record without a key is kept."""
    after = newer_than(start, or_equal=from_start)
    beyond = newer_than(end)
    return lambda value: value is None or (after(value) and not beyond(value))


def now() -> datetime:
    """The bound of a plan made now."""
    return datetime.now(UTC).replace(microsecond=0)
