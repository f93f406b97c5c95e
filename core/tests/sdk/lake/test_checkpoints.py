"""Held STATEs go out only when every file open at their arrival is committed."""

from __future__ import annotations

from typing import Any

from elt.sdk.lake.checkpoints import Checkpoints


def make() -> tuple[Checkpoints, list[Any]]:
    emitted: list[Any] = []
    return Checkpoints(emitted.append), emitted


def test_a_state_with_nothing_open_is_emitted_at_once_and_duplicates_are_not() -> None:
    points, emitted = make()
    points.state({"a": 1}, set())
    points.state({"a": 1}, set())
    assert emitted == [{"a": 1}]


def test_a_state_waits_for_every_file_open_when_it_arrived() -> None:
    points, emitted = make()
    points.state({"a": 1}, {1, 2})
    points.committed(1)
    points.emit_ready()
    assert emitted == []
    points.committed(2)
    points.emit_ready()
    assert emitted == [{"a": 1}]


def test_only_the_newest_ready_state_is_emitted() -> None:
    points, emitted = make()
    points.state({"a": 1}, {1})
    points.state({"a": 2}, {1, 2})
    points.state({"a": 3}, {1, 2})
    points.committed(1)
    points.emit_ready()
    assert emitted == [{"a": 1}]
    points.committed(2)
    points.emit_ready()
    assert emitted == [{"a": 1}, {"a": 3}]


def test_states_with_the_same_open_files_share_one_entry() -> None:
    points, _ = make()
    for i in range(1000):
        points.state({"a": i}, {7})
    assert len(points._held) == 1


def test_a_failed_run_discards_held_and_ready_states() -> None:
    points, emitted = make()
    points.state({"a": 1}, {1})
    points.committed(1)
    points.discard()
    points.emit_ready()
    assert emitted == []
    assert not points.waiting
