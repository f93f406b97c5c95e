"""Turning Ctrl-C and ``kill`` into an orderly stop of a run's plugins.

Plugins run in process groups of their own, so a Ctrl-C in the terminal reaches elt alone
and elt decides the order: while a run lasts, SIGINT and SIGTERM call a handler (the
supervisor's ``interrupt``) instead of raising KeyboardInterrupt or killing elt on the
spot. The handler only sends signals and records what it received; the main thread then
sees the plugins exit, keeps the state stored so far, and reports the interruption.

Python delivers signals to the main thread only; a run started from another thread keeps
the process's handlers and can be stopped through its supervisor.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Callable, Iterator
from types import FrameType

__all__ = ["FORWARDED_SIGNALS", "forward_signals"]

FORWARDED_SIGNALS = (signal.SIGINT, signal.SIGTERM)


@contextlib.contextmanager
def forward_signals(handler: Callable[[int], None]) -> Iterator[None]:
    """Call ``handler(signal_number)`` on SIGINT and SIGTERM until the block ends."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def on_signal(signal_number: int, frame: FrameType | None) -> None:
        handler(signal_number)

    previous = {number: signal.getsignal(number) for number in FORWARDED_SIGNALS}
    for number in FORWARDED_SIGNALS:
        signal.signal(number, on_signal)
    try:
        yield
    finally:
        for number, action in previous.items():
            signal.signal(number, signal.SIG_DFL if action is None else action)
