"""Whether a process of this host still runs, told apart from a later one given its pid.

Pids are reused: a record that names only a pid may, after its process died, name an
unrelated one. On Linux a process's start time (``/proc/<pid>/stat``, clock ticks since
boot) fixes its identity, so a record that keeps it is never fooled; elsewhere only the pid
is checked, which errs towards "still running" — the safe side for a caller that removes
or refuses what a dead process left. A zombie (dead, not yet reaped) is not running.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Callable

__all__ = ["group_exists", "is_running", "start_time"]


def start_time(pid: int) -> int | None:
    """The start time of process ``pid`` in clock ticks since boot; None when unknown."""
    fields = _stat(pid)
    return int(fields[19]) if fields is not None else None


def is_running(pid: int, started: int | None = None) -> bool:
    """Whether process ``pid`` runs (and, when ``started`` is given and the system tells,
    is the one that started then)."""
    if pid <= 0:
        return False
    fields = _stat(pid)
    if fields is not None:
        return fields[0] != "Z" and (started is None or int(fields[19]) == started)
    if os.path.isdir("/proc/self"):  # Linux, and no entry for it: it is gone
        return False
    return _answers(os.kill, pid)


def group_exists(group: int) -> bool:
    """Whether a process group has a member (one of another user's counts)."""
    return group > 0 and _answers(os.killpg, group)  # 0 would be elt's own group


def _answers(send: Callable[[int, int], None], target: int) -> bool:
    """Whether signal 0 sent to ``target`` finds it (refused for lack of permission: it does)."""
    try:
        send(target, 0)
    except ProcessLookupError:
        return False
    except OSError as error:
        return error.errno == errno.EPERM
    return True


def _stat(pid: int) -> list[str] | None:
    """The fields of ``/proc/<pid>/stat`` after the command name (state first)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as file:
            text = file.read()
    except OSError:
        return None
    return text[text.rfind(b")") + 2 :].decode("ascii", "replace").split()
