"""Which failures are retried, and how long to wait before each retry."""

from __future__ import annotations

import random

import pytest

from elt.errors import (
    ConfigError,
    EltError,
    Interrupted,
    PluginError,
    ProtocolError,
    ServiceError,
    UsageError,
)
from elt.run import RetryPolicy


@pytest.mark.parametrize(
    ("error", "retriable"),
    [
        (ServiceError("database unreachable"), True),
        (PluginError("tap exited with code 75", returncode=75), True),
        (PluginError("tap was killed by SIGKILL", returncode=-9), True),
        (PluginError("tap exited with code 1", returncode=1), False),
        (PluginError("tap could not start"), False),
        (ConfigError("required setting not set"), False),
        (ProtocolError("not valid JSON"), False),
        (UsageError("state id locked by another run"), False),
        (Interrupted("interrupted by SIGINT", signal_number=2), False),
    ],
)
def test_only_failures_a_retry_can_fix_are_retriable(error: EltError, retriable: bool) -> None:
    assert error.retriable is retriable


def test_the_pause_doubles_each_retry_with_jitter_up_to_the_cap() -> None:
    policy = RetryPolicy(retries=10, delay=2, max_delay=30)
    rng = random.Random(7)
    for retry, ceiling in enumerate([2, 4, 8, 16, 30, 30]):
        pauses = [policy.pause(retry, rng) for _ in range(50)]
        assert all(ceiling / 2 <= p <= ceiling for p in pauses)
        assert len(set(pauses)) > 1
    assert RetryPolicy(delay=0).pause(3) == 0
