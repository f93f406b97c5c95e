"""What `elt run` shows while it runs (live on a terminal, lines elsewhere) and at the end."""

from __future__ import annotations

import io
import json
import os
import pty
import re
import select
import subprocess
from collections.abc import Callable

from click.testing import Result
from rich.console import Console

from core.tests.plugins import TAP, TARGET, ToyProject, elt_executable
from core.tests.run.test_metrics import line
from elt.cli.progress import Progress, ProgressMode, progress_mode, stream_table
from elt.run.metrics import RunMetrics, StreamProgress

Elt = Callable[..., Result]


def counter(stream: str, value: int) -> str:
    return line("record_count", value, stream=stream)


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_mode_is_live_on_a_terminal_lines_elsewhere_and_off_at_interval_zero() -> None:
    assert progress_mode(10, Tty()) is ProgressMode.LIVE
    assert progress_mode(10, io.StringIO()) is ProgressMode.LINES
    assert progress_mode(0, Tty()) is ProgressMode.OFF


def test_plugins_are_asked_for_counts_as_often_as_the_display_needs_them() -> None:
    def interval(mode: ProgressMode) -> float | None:
        return Progress("t", "g", mode=mode, interval=5, echo=print).metric_interval

    assert (interval(ProgressMode.LIVE), interval(ProgressMode.LINES)) == (1.0, 5)
    assert interval(ProgressMode.OFF) is None


def test_lines_report_only_the_streams_that_moved_since_the_last_report() -> None:
    progress = Progress("tap", "target", mode=ProgressMode.LINES, interval=5, echo=print)
    metrics = RunMetrics()
    progress.watch(metrics)
    metrics.feed("tap", counter("users", 10))
    metrics.feed("tap", counter("orders", 0))
    first = progress.lines()
    assert [line.split(" rows,")[0] for line in first] == [
        "progress: users: 10",
        "progress: orders: 0",
    ]
    assert all(line.endswith("running") for line in first)
    metrics.feed("tap", counter("orders", 2500))
    assert [line.split(" rows,")[0] for line in progress.lines()] == ["progress: orders: 2,500"]
    assert progress.lines() == []
    progress.watch(RunMetrics())  # a retry starts its own count
    assert progress.lines() == []


def test_the_final_table_has_rows_rate_and_seconds_per_stream() -> None:
    text = stream_table(
        [StreamProgress("users", 1234567, 2.0, done=True), StreamProgress("x", 0, 0, done=True)]
    )
    assert text.splitlines() == [
        "STREAM  ROWS       ROWS/S   SECONDS",
        "users   1,234,567  617,284  2.0",
        "x       0          -        0.0",
    ]


def test_the_live_display_draws_a_table_of_the_streams() -> None:
    terminal = Tty()
    progress = Progress(
        "tap-x", "target-y", mode=ProgressMode.LIVE, interval=10, echo=print, stream=terminal
    )
    metrics = RunMetrics()
    with progress:
        progress.watch(metrics)
        metrics.feed("tap-x", counter("users", 42))
        shown = io.StringIO()
        Console(file=shown, width=80).print(progress._table())
    assert "tap-x -> target-y" in shown.getvalue()
    assert re.search(r"users\s+42\s+\S+\s+\d+ s", shown.getvalue()), shown.getvalue()


def test_off_a_terminal_elt_run_prints_progress_lines_then_the_table(
    elt: Elt, toy: ToyProject
) -> None:
    toy.write(tap={"count": 12, "others": 0, "pace": 0.1})
    result = elt("--project", str(toy.root), "run", TAP, TARGET, "--progress-interval", "0.3")
    assert result.exit_code == 0, result.stderr
    counts = [int(n) for n in re.findall(r"progress: items: (\d+) rows", result.stderr)]
    assert len(counts) >= 2, result.stderr
    assert counts == sorted(counts)
    assert re.search(r"^items\s+12\s", result.stdout, re.MULTILINE), result.stdout


def test_interval_zero_prints_no_progress_and_json_has_the_streams(
    elt: Elt, toy: ToyProject
) -> None:
    toy.write(tap={"count": 4, "pace": 0.05})
    args = ("--project", str(toy.root), "run", TAP, TARGET, "--progress-interval", "0", "--json")
    result = elt(*args)
    assert result.exit_code == 0, result.stderr
    assert "progress:" not in result.stderr
    streams = json.loads(result.stdout)["streams"]
    assert [(s["stream"], s["rows"]) for s in streams] == [("items", 4), ("others", 2)]
    assert all(s["seconds"] >= 0 and "rows_per_second" in s for s in streams)


def test_a_failed_run_shows_the_rows_counted_after_its_error(elt: Elt, toy: ToyProject) -> None:
    toy.write(tap={"count": 20, "die_after": 8, "pace": 0.1})
    result = elt("--project", str(toy.root), "run", TAP, TARGET, "--progress-interval", "0.2")
    assert result.exit_code == 70
    error, _, after = result.stderr.partition("error: tap toy-tap exited with code 3.")
    heading = f"Rows {TAP} extracted (not necessarily loaded):\n"
    assert heading not in error
    table = after.split(heading, 1)[1]
    header, items = table.splitlines()[:2]
    assert header.split() == ["STREAM", "ROWS", "ROWS/S", "SECONDS"]
    assert 0 < int(items.split()[1]) <= 8


def test_a_failed_run_shows_what_the_target_committed_when_it_says(
    elt: Elt, toy: ToyProject
) -> None:
    toy.write(tap={"count": 20}, target={"die_after": 6, "log_committed": True})
    result = elt("--project", str(toy.root), "run", TAP, TARGET, "--progress-interval", "0")
    assert result.exit_code == 70
    table = result.stderr.split(f"Rows {TARGET} committed before the end:\n", 1)[1]
    assert table.splitlines()[1].split()[:2] == ["items", "5"]


def test_on_a_terminal_elt_run_draws_the_live_table_and_ends_with_the_final_one(
    toy: ToyProject,
) -> None:
    toy.write(tap={"count": 15, "others": 0, "pace": 0.1})
    main, terminal = pty.openpty()
    run = subprocess.Popen(
        [elt_executable(), "--project", str(toy.root), "run", TAP, TARGET],
        stdout=subprocess.PIPE,
        stderr=terminal,
        text=True,
        env={**os.environ, "COLUMNS": "100", "TERM": "xterm"},
    )
    os.close(terminal)
    drawn = b""
    while True:
        ready, _, _ = select.select([main], [], [], 30)
        assert ready, "no output from elt run on the terminal for 30 s"
        try:
            chunk = os.read(main, 65536)
        except OSError:  # the terminal closed: elt exited
            break
        if not chunk:
            break
        drawn += chunk
    os.close(main)
    stdout, _ = run.communicate(timeout=30)
    assert run.returncode == 0, drawn.decode(errors="replace")
    screen = drawn.decode(errors="replace")
    assert "toy-tap -> toy-target" in screen
    assert re.search(r"items\s+\d+\s+\S+\s+\d+ s", screen), screen
    assert re.search(r"^items\s+15\s", stdout, re.MULTILINE), stdout


def test_a_negative_progress_interval_is_refused_before_anything_runs(
    elt: Elt, toy: ToyProject
) -> None:
    toy.write(tap={"count": 1})
    result = elt("--project", str(toy.root), "run", TAP, TARGET, "--progress-interval", "-1")
    assert result.exit_code == 2
    assert "--progress-interval" in result.stderr
    assert toy.logs() == []
