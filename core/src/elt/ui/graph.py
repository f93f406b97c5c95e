"""A job's task graph as a picture: each task a box in the column of how many tasks it
waits for in a row, an arrow from each task to those waiting for it.

Pure layout (positions in pixels), drawn as SVG by the pipelines template; the waits are
``JobSpec.waits()``, the same the job runner follows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["Box", "Edge", "Graph", "layout"]

BOX_WIDTH = 260
BOX_HEIGHT = 30
COLUMN_GAP = 50
ROW_GAP = 14
MARGIN = 6
MAX_LABEL = 34


@dataclass(frozen=True)
class Box:
    number: int  # the task's place in the job, from 1
    task: str
    x: int
    y: int

    @property
    def label(self) -> str:
        """The task, shortened to fit its box (the whole text is its tooltip)."""
        text = f"{self.number}. {self.task}"
        return text if len(text) <= MAX_LABEL else text[: MAX_LABEL - 1] + "…"


@dataclass(frozen=True)
class Edge:
    x1: int
    y1: int
    x2: int
    y2: int


@dataclass(frozen=True)
class Graph:
    boxes: tuple[Box, ...]
    edges: tuple[Edge, ...]
    width: int
    height: int
    box_width: int = BOX_WIDTH
    box_height: int = BOX_HEIGHT


def layout(tasks: Sequence[str], waits: Sequence[frozenset[int]]) -> Graph:
    """Place ``tasks`` (``waits[i]``: the indices task ``i`` waits for; acyclic, as a job's
    are checked at load) in columns by depth, in job order within a column."""
    depth = [0] * len(tasks)
    for _ in tasks:  # a task's depth is one more than its deepest wait's: stable in n passes
        changed = False
        for index, needs in enumerate(waits):
            wanted = 1 + max((depth[n] for n in needs), default=-1)
            if wanted != depth[index]:
                depth[index], changed = wanted, True
        if not changed:
            break
    rows: dict[int, int] = {}
    boxes = []
    for index, task in enumerate(tasks):
        row = rows.get(depth[index], 0)
        rows[depth[index]] = row + 1
        x = MARGIN + depth[index] * (BOX_WIDTH + COLUMN_GAP)
        y = MARGIN + row * (BOX_HEIGHT + ROW_GAP)
        boxes.append(Box(index + 1, task, x, y))
    edges = [
        Edge(
            boxes[need].x + BOX_WIDTH,
            boxes[need].y + BOX_HEIGHT // 2,
            box.x,
            box.y + BOX_HEIGHT // 2,
        )
        for box, needs in zip(boxes, waits, strict=True)
        for need in sorted(needs)
    ]
    columns = max(depth, default=0) + 1
    tallest = max(rows.values(), default=1)
    return Graph(
        tuple(boxes),
        tuple(edges),
        width=2 * MARGIN + columns * BOX_WIDTH + (columns - 1) * COLUMN_GAP,
        height=2 * MARGIN + tallest * BOX_HEIGHT + (tallest - 1) * ROW_GAP,
    )
