"""Comparing a replication-key value with a bookmark, for the client-side incremental filter.

APIs' "updated since" parameters are often inclusive or coarser than the data, so records
at or below the bookmark are dropped after they arrive. Timestamps compare as instants
(``Z`` and ``+00:00`` spellings agree), numbers as numbers, anything else as text. A record
without a value is kept: it can never be bookmarked, so dropping it would lose it for good.
"""

from __future__ import annotations

import decimal
from datetime import UTC, datetime
from typing import Any

__all__ = ["is_after"]


def _instant(value: Any) -> datetime | None:
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


def is_after(value: Any, bookmark: Any) -> bool:
    """Whether a record with replication-key ``value`` is newer than ``bookmark``."""
    if bookmark is None or value is None:
        return True
    left, right = _instant(value), _instant(bookmark)
    if left is not None and right is not None:
        return left > right
    low, high = _number(value), _number(bookmark)
    if low is not None and high is not None:
        return low > high
    return str(value) > str(bookmark)
