"""A job's task graph laid out: columns by how many tasks wait in a row, arrows per wait."""

from __future__ import annotations

from elt.ui.graph import BOX_HEIGHT, BOX_WIDTH, COLUMN_GAP, layout


def test_a_chain_is_one_box_per_column_with_an_arrow_between_each() -> None:
    graph = layout(["a x", "b x", "c x"], [frozenset(), frozenset({0}), frozenset({1})])
    assert [box.x for box in graph.boxes] == [
        6,
        6 + BOX_WIDTH + COLUMN_GAP,
        6 + 2 * (BOX_WIDTH + COLUMN_GAP),
    ]
    assert len({box.y for box in graph.boxes}) == 1
    assert [(e.x1, e.x2) for e in graph.edges] == [
        (graph.boxes[0].x + BOX_WIDTH, graph.boxes[1].x),
        (graph.boxes[1].x + BOX_WIDTH, graph.boxes[2].x),
    ]
    assert graph.width == graph.boxes[2].x + BOX_WIDTH + 6


def test_independent_tasks_share_a_column_and_a_join_waits_for_both() -> None:
    tasks = ["a t", "b t", "c t"]
    graph = layout(tasks, [frozenset(), frozenset(), frozenset({0, 1})])
    first, second, join = graph.boxes
    assert first.x == second.x < join.x
    assert second.y == first.y + BOX_HEIGHT + 14
    assert len(graph.edges) == 2
    assert graph.height == 2 * 6 + 2 * BOX_HEIGHT + 14


def test_a_task_listed_before_what_it_waits_for_is_still_to_its_right() -> None:
    graph = layout(["late t", "early t"], [frozenset({1}), frozenset()])
    late, early = graph.boxes
    assert early.x < late.x
    assert late.number == 1  # numbered in the job's order


def test_a_long_task_is_shortened_in_its_box() -> None:
    [box] = layout(["tap-" + "x" * 60 + " target-postgres"], [frozenset()]).boxes
    assert box.label.endswith("…")
    assert len(box.label) <= 34
