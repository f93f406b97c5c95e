"""Following a log as it grows, until the run ends."""

from __future__ import annotations

from pathlib import Path

from elt.history import follow_log


def test_follow_yields_whole_lines_as_they_come_and_the_rest_when_the_run_ends(
    tmp_path: Path,
) -> None:
    path = tmp_path / "run.log"
    writes = iter(["a\nb", "\nc\n", "tail without newline"])
    running = iter([True, True, True, False])

    def sleep(seconds: float) -> None:
        chunk = next(writes, None)
        if chunk is not None:
            with path.open("a") as log:
                log.write(chunk)

    chunks = list(follow_log(path, lambda: next(running), sleep=sleep))
    assert chunks == ["a\n", "b\nc\n", "tail without newline"]


def test_follow_of_a_run_that_ended_without_a_log_yields_nothing(tmp_path: Path) -> None:
    assert list(follow_log(tmp_path / "none.log", lambda: False)) == []
