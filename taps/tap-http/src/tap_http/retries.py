"""When to send the next request: exponential backoff with jitter, Retry-After, a rate limit.

Retries themselves are singer-sdk's (``RESTStream.request_decorator``: 429, 5xx, timeouts and
connection errors); this module supplies the waits. A server's ``Retry-After`` (seconds or an
HTTP date) is obeyed exactly — waiting less would only earn another 429 — and otherwise the
wait is ``backoff_factor * 2**attempt`` capped at ``backoff_max``, with "equal jitter" (half
fixed, half random) so parallel runs do not retry in lockstep.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Generator
from email.utils import parsedate_to_datetime
from typing import Any

__all__ = ["RateLimiter", "retry_after", "wait_times"]


def retry_after(exception: BaseException | None) -> float | None:
    """Seconds the server asked to wait in a ``Retry-After`` header, if it did."""
    response = getattr(exception, "response", None)
    value = response.headers.get("Retry-After") if response is not None else None
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


def wait_times(factor: float, maximum: float) -> Generator[float, Any, None]:
    """A ``backoff`` wait generator; ``backoff`` sends it each exception it retries."""
    attempt = 0
    exception = yield 0.0
    while True:
        asked = retry_after(exception)
        if asked is not None:
            wait = asked
        else:
            base = min(maximum, factor * 2**attempt)
            wait = base / 2 + random.uniform(0, base / 2)
        attempt += 1
        exception = yield wait


class RateLimiter:
    """Spaces requests at least ``1 / per_second`` apart, across every stream of a tap."""

    def __init__(self, per_second: float | None) -> None:
        self.interval = 1.0 / per_second if per_second else 0.0
        self._next = 0.0
        self._lock = threading.Lock()

    def wait(self) -> None:
        """Sleep until the next request is allowed, and book its slot."""
        if not self.interval:
            return
        with self._lock:
            now = time.monotonic()
            start = max(now, self._next)
            self._next = start + self.interval
        if start > now:
            time.sleep(start - now)
