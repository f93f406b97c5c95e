"""Comparing a replication-key value with a bookmark, for the client-side incremental filter.

APIs' "updated since" parameters are often inclusive or coarser than the data, so records
at or below the bookmark are dropped after they arrive (``resend_bookmarked`` keeps those
equal to it, for APIs whose timestamps are coarser than their updates). Timestamps compare
as instants (``Z`` and ``+00:00`` spellings agree), numbers as numbers, anything else as
text. A record without a value is kept: it can never be bookmarked, so dropping it would
lose it for good.
"""

from __future__ import annotations

import decimal
import operator
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

__all__ = ["instant", "is_after", "newer_than"]


def instant(value: Any) -> datetime | None:
    """``value`` as an aware instant (naive taken as UTC), or None if it is not a timestamp."""
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            return None
    else:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _number(value: Any) -> decimal.Decimal | None:
    if isinstance(value, bool):
        return None
    try:
        return decimal.Decimal(str(value))
    except decimal.InvalidOperation:
        return None


def newer_than(bookmark: Any, *, or_equal: bool = False) -> Callable[[Any], bool]:
    """A test of replication-key values against ``bookmark``, parsed once for a whole sync.

    ``or_equal`` keeps values equal to the bookmark too.
    """
    if bookmark is None:
        return lambda value: True
    moment, number, text = instant(bookmark), _number(bookmark), str(bookmark)
    after: Callable[[Any, Any], bool] = operator.ge if or_equal else operator.gt

    def test(value: Any) -> bool:
        if value is None:
            return True
        if moment is not None:
            left = instant(value)
            if left is not None:
                return after(left, moment)
        if number is not None:
            low = _number(value)
            if low is not None:
                return after(low, number)
        return after(str(value), text)

    return test


def is_after(value: Any, bookmark: Any) -> bool:
    """Whether a record with replication-key ``value`` is newer than ``bookmark``."""
    return newer_than(bookmark)(value)
