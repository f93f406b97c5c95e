"""When a STATE may be emitted: once every file holding records received before it is committed.

Taps send STATE often (singer-sdk after every page or batch); committing files at each one
would cut a lake into thousands of tiny files. So a STATE is *held* with the set of files
that were open when it arrived (each holds records sent before it) and emitted once that set
is empty — as files commit on rotation, at the end of the input, or when the writer commits
everything because a STATE has waited ``commit_interval_seconds``.

Emission is monotone: a file open at an earlier STATE and still uncommitted was also open
at every later one, so held STATEs become ready oldest first, and only the newest ready one
needs emitting. Two STATEs that arrive with the same open files become ready together, so
the newer replaces the older: the queue holds at most one entry per file opened.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Mapping, Set
from typing import Any

__all__ = ["Checkpoints"]

State = Mapping[str, Any]


class Checkpoints:
    """Holds STATE values until their files are committed, then hands them to ``emit``."""

    def __init__(self, emit: Callable[[State], None]) -> None:
        self._emit = emit
        self._held: deque[tuple[State, set[int]]] = deque()
        self._ready: State | None = None
        self._last_emitted: State | None = None

    @property
    def waiting(self) -> bool:
        """True if a STATE is held for files not yet committed."""
        return bool(self._held)

    def state(self, value: State, open_files: Set[int]) -> None:
        """A STATE arrived while ``open_files`` (ids of files holding records) were open."""
        if not open_files:
            self._ready = value
            self.emit_ready()
        elif self._held and self._held[-1][1] == open_files:
            self._held[-1] = (value, self._held[-1][1])
        else:
            self._held.append((value, set(open_files)))

    def committed(self, file_id: int) -> None:
        """A file is committed; STATEs that waited only for it (and earlier ones) are ready.

        They are not emitted yet: the writer calls :meth:`emit_ready` when it is safe (at the
        end of a run, only after the manifest is written).
        """
        for _, files in self._held:
            files.discard(file_id)
        while self._held and not self._held[0][1]:
            self._ready = self._held.popleft()[0]

    def emit_ready(self) -> None:
        """Emit the newest ready STATE, unless it equals the last one emitted."""
        ready, self._ready = self._ready, None
        if ready is not None and ready != self._last_emitted:
            self._emit(ready)
            self._last_emitted = ready

    def discard(self) -> None:
        """Forget every held and ready STATE (the run failed: none of them may be emitted)."""
        self._held.clear()
        self._ready = None
