"""What ``elt run`` shows while it runs, and the table of streams it ends with.

Progress comes from the METRIC lines the plugins log (:mod:`elt.run.metrics`): elt never
reads a record. Three modes, chosen by :func:`progress_mode`:

- ``live`` (stderr is a terminal): a rich table per stream (rows, rows/s, elapsed) redrawn
  twice a second and removed at the end; plugins are asked for counts every second.
- ``lines`` (stderr is a file or a pipe, e.g. cron or CI): every ``interval`` seconds one
  line per stream that moved since the last report; plugins report at that interval.
- ``off`` (``--progress-interval 0``): nothing until the end.

Either way the run ends with :func:`stream_table` of every stream; a run that fails gets
the table of what the plugins had counted as a note after its error.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from enum import StrEnum
from types import TracebackType
from typing import IO, TYPE_CHECKING, Any

import click

from elt.cli.render import table
from elt.errors import EltError
from elt.run.metrics import COMMITTED, RunMetrics, StreamProgress

if TYPE_CHECKING:
    from rich.live import Live
    from rich.table import Table

__all__ = [
    "DEFAULT_PROGRESS_INTERVAL",
    "LIVE_METRIC_INTERVAL",
    "Progress",
    "ProgressMode",
    "progress_for",
    "progress_mode",
    "stream_table",
]

DEFAULT_PROGRESS_INTERVAL = 10.0

LIVE_METRIC_INTERVAL = 1.0
_LIVE_REFRESH_PER_SECOND = 2


class ProgressMode(StrEnum):
    LIVE = "live"
    LINES = "lines"
    OFF = "off"


def progress_mode(interval: float, stream: IO[str] | None = None) -> ProgressMode:
    """``live`` on a terminal, ``lines`` elsewhere, ``off`` when ``interval`` is 0."""
    if interval <= 0:
        return ProgressMode.OFF
    stream = stream if stream is not None else sys.stderr
    isatty = getattr(stream, "isatty", None)
    return ProgressMode.LIVE if isatty is not None and isatty() else ProgressMode.LINES


def progress_for(interval: float) -> Callable[[str, str], Progress]:
    """A maker of the progress display of each run (``tap``, ``target``): live on a
    terminal, else lines to stderr every ``interval`` seconds."""
    mode = progress_mode(interval)

    def make(tap: str, target: str) -> Progress:
        return Progress(tap, target, mode=mode, interval=interval, echo=_to_stderr)

    return make


def _to_stderr(line: str) -> None:
    click.echo(line, err=True)


def stream_table(streams: Sequence[StreamProgress]) -> str:
    """Rows, rows/s and seconds per stream, as aligned text."""
    return table(
        ("stream", "rows", "rows/s", "seconds"),
        [(p.stream, f"{p.rows:,}", _rate(p), f"{p.seconds:.1f}") for p in streams],
    )


def unit_table(units: Sequence[Mapping[str, Any]]) -> str:
    """A split run's units (:class:`elt.run.split.UnitSummary` as dicts), as aligned text."""
    return table(
        ("stream", "partition", "worker", "rows", "seconds", "status", "attempt"),
        [
            (
                str(u["stream"] or "all streams"),
                str(u["partition"] or "-"),
                str(u["worker"] or "-"),
                f"{u['rows']:,}",
                f"{u['seconds']:.1f}",
                str(u["status"]),
                str(u["attempt"]),
            )
            for u in units
        ],
    )


def _rate(progress: StreamProgress) -> str:
    rate = progress.rate
    return "-" if rate is None else f"{rate:,.0f}"


class Progress:
    """The progress of one ``elt run`` (all its attempts) between ``with`` and its end.

    ``watch`` is handed to :func:`elt.run.run_with_retries`: each attempt's metrics replace
    the last one's. ``echo`` writes a line to stderr (tests pass their own).
    """

    def __init__(
        self,
        tap: str,
        target: str,
        *,
        mode: ProgressMode,
        interval: float,
        echo: Callable[[str], None],
        stream: IO[str] | None = None,
    ) -> None:
        self._tap = tap
        self._target = target
        self.mode = mode
        self._interval = interval
        self._echo = echo
        self._stream = stream
        self._metrics = RunMetrics()
        self._started = time.monotonic()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._live: Live | None = None
        self._reported: dict[str, tuple[int, bool]] = {}

    @property
    def metric_interval(self) -> float | None:
        """How often plugins should log their counters for this display; None: their own."""
        if self.mode is ProgressMode.LIVE:
            return LIVE_METRIC_INTERVAL
        if self.mode is ProgressMode.LINES:
            return self._interval
        return None

    def watch(self, metrics: RunMetrics) -> None:
        """Show ``metrics`` from now on (a new attempt of the run)."""
        self._metrics = metrics
        self._reported = {}

    def streams(self) -> list[StreamProgress]:
        """Every stream as far as it got, the run counted as over (for a failed run's table)."""
        return self._metrics.progress(self._tap, self._target, ended=True)

    def __enter__(self) -> Progress:
        if self.mode is ProgressMode.LIVE:
            self._live = self._start_live()
        elif self.mode is ProgressMode.LINES:
            self._thread = threading.Thread(target=self._report_lines, name="progress", daemon=True)
            self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        if self._live is not None:
            self._live.stop()
        if isinstance(error, EltError):
            streams = self.streams()
            if any(s.rows for s in streams):  # the counts lag by up to a metric interval
                table = stream_table(streams)
                if self._metrics.rows_kind(self._tap, self._target) == COMMITTED:
                    heading = f"Rows {self._target} committed before the end"
                else:  # extracted: nothing says they were loaded
                    heading = f"Rows {self._tap} extracted (not necessarily loaded)"
                error.add_note(f"{heading}:\n{table}")

    # live

    def _start_live(self) -> Live:
        from rich.console import Console  # imported only for a terminal: ~40 ms
        from rich.live import Live

        console = Console(file=self._stream if self._stream is not None else sys.stderr)
        live = Live(
            console=console,
            get_renderable=self._table,
            refresh_per_second=_LIVE_REFRESH_PER_SECOND,
            transient=True,
            redirect_stderr=self._stream is None,
            redirect_stdout=False,
        )
        live.start()
        return live

    def _table(self) -> Table:
        from rich.table import Table

        elapsed = time.monotonic() - self._started
        shown = Table(
            title=f"{self._tap} -> {self._target}  {elapsed:.0f} s",
            title_justify="left",
            box=None,
        )
        for header in ("stream", "rows", "rows/s", "elapsed", ""):
            shown.add_column(header, justify="left" if header == "stream" else "right")
        for p in self._metrics.progress(self._tap, self._target):
            shown.add_row(
                p.stream, f"{p.rows:,}", _rate(p), f"{p.seconds:.0f} s", "done" if p.done else ""
            )
        return shown

    # lines

    def _report_lines(self) -> None:
        while not self._stop.wait(self._interval):
            for line in self.lines():
                self._echo(line)

    def lines(self) -> list[str]:
        """One line per stream whose rows (or end) are news since the last call."""
        found = []
        for p in self._metrics.progress(self._tap, self._target):
            if self._reported.get(p.stream) == (p.rows, p.done):
                continue
            self._reported[p.stream] = (p.rows, p.done)
            state = "done" if p.done else "running"
            found.append(
                f"progress: {p.stream}: {p.rows:,} rows, {_rate(p)} rows/s, "
                f"{p.seconds:.0f} s, {state}"
            )
        return found
