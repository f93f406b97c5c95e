"""Plugins never outlive the elt that started them, and a run never starts beside one that did.

An elt killed by SIGKILL cannot stop its plugins: a tap blocked on a read and its target
would live on, and the next run of the pipeline would load beside them. Two mechanisms,
because neither covers every case alone:

- **Death signal.** On Linux each plugin starts with ``PR_SET_PDEATHSIG`` set to SIGKILL
  (:func:`die_with_elt`, run between fork and exec): the kernel kills it the moment its elt
  dies, however it died. The signal fires when the *thread* that forked the plugin ends, not
  the process; elt starts plugins from the thread that then waits for them, so the two end
  together. It reaches the plugin itself only: a wrapper script that runs its program as a
  child (without ``exec``) leaves that child behind. Other systems have no such call.
- **Guard.** A run holds an ``flock`` on ``.elt/run/<state id>.lock`` (:class:`PluginGuard`),
  and every plugin it starts inherits that open file, so the lock stays held until the last
  process holding it — the plugins, and whatever children they pass it on to — has exited.
  The next run of the state id takes the guard after the state lock and before it starts
  anything; held, it means something of an earlier run still runs: after a short wait (the
  kernel's SIGKILLs take a moment) the run is refused, naming the process groups left and
  how to stop them. This works on every system and for every state backend, for runs of one
  project directory on one host.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import json
import os
import signal
import socket
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from elt.errors import UsageError
from elt.run.pids import group_exists, is_running
from elt.state import state_id_filename

__all__ = ["GUARD_DIR", "PluginGuard", "die_with_elt", "plugin_guard"]

GUARD_DIR = Path(".elt") / "run"
_PR_SET_PDEATHSIG = 1
_WAIT_SECONDS = 3.0
_POLL_SECONDS = 0.05


@functools.cache
def _prctl() -> Callable[..., int] | None:
    """libc's ``prctl``, loaded once in the parent (never first in a forked child)."""
    if not sys.platform.startswith("linux"):
        return None
    import ctypes

    try:
        function: Any = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    function.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]
    function.restype = ctypes.c_int
    return function  # type: ignore[no-any-return]


def die_with_elt() -> Callable[[], None] | None:
    """A ``preexec_fn`` that makes the child die by SIGKILL when this elt dies (Linux);
    None where the system has no such call.

    It is safe in a process with threads (the warning on ``preexec_fn``): in the child it
    makes three system calls through a function loaded beforehand, and takes no lock,
    imports nothing, logs nothing.
    """
    prctl = _prctl()
    if prctl is None:
        return None
    parent = os.getpid()

    def in_child() -> None:
        prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0)
        if os.getppid() != parent:  # elt died before the call: the signal will never come
            os.kill(os.getpid(), signal.SIGKILL)

    return in_child


class PluginGuard:
    """The lock a run's plugins inherit; see the module docstring.

    ``descriptor`` is the file every plugin must inherit (None when a forced run goes on
    without it, with ``warning`` saying beside what). :meth:`started` writes each plugin's
    process group into the file, for the message the next comer gets while one of them
    outlives the run.
    """

    def __init__(self, descriptor: int | None, warning: str | None = None) -> None:
        self.descriptor = descriptor
        self.warning = warning

    def started(self, plugin: str, pid: int) -> None:
        """Note a plugin started in process group ``pid``."""
        if self.descriptor is not None:
            _append(self.descriptor, {"plugin": plugin, "group": pid})


@contextlib.contextmanager
def plugin_guard(
    root: Path, state_id: str, *, run_id: str, force: bool = False
) -> Iterator[PluginGuard]:
    """Hold the guard of ``state_id`` in the project at ``root`` for the block.

    Raises UsageError (exit 2, as for a state id in use) when processes of an earlier run
    still hold it ``_WAIT_SECONDS`` later; with ``force`` the run goes on beside them, and
    the guard's ``warning`` says so.
    """
    directory = root / GUARD_DIR
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / (state_id_filename(state_id) + ".lock")
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        if not _take(descriptor, 0.0 if force else _WAIT_SECONDS):
            problem, remedy = _left_running(state_id, os.pread(descriptor, 1 << 16, 0), path)
            if not force:
                raise UsageError(problem, hint=f"{remedy} and run again")
            yield PluginGuard(None, f"{problem}; --force: running beside them")
            return
        os.ftruncate(descriptor, 0)
        since = datetime.now(UTC).isoformat(timespec="seconds")
        _append(
            descriptor,
            {"run": run_id, "pid": os.getpid(), "host": socket.gethostname(), "since": since},
        )
        try:
            yield PluginGuard(descriptor)
        finally:
            os.ftruncate(descriptor, 0)
    finally:
        os.close(descriptor)  # the lock is free once every plugin has closed its copy too


def _take(descriptor: int, wait: float) -> bool:
    deadline = time.monotonic() + wait
    while True:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            if time.monotonic() >= deadline:
                return False
            time.sleep(_POLL_SECONDS)


def _append(descriptor: int, entry: dict[str, Any]) -> None:
    os.lseek(descriptor, 0, os.SEEK_END)
    os.write(descriptor, json.dumps(entry).encode() + b"\n")


def _left_running(state_id: str, data: bytes, path: Path) -> tuple[str, str]:
    """What holds the guard, as the record in ``data`` tells it, and how to stop it."""
    run: dict[str, Any] = {}
    groups: list[tuple[str, int]] = []
    for line in data.splitlines():
        with contextlib.suppress(ValueError):
            entry = json.loads(line)
            if isinstance(entry, dict) and "run" in entry:
                run = entry
            elif isinstance(entry, dict) and isinstance(entry.get("group"), int):
                groups.append((str(entry.get("plugin")), entry["group"]))
    living = [(name, group) for name, group in groups if group_exists(group)]
    of_run = ""
    if run:
        pid = run.get("pid")
        here = run.get("host") == socket.gethostname()
        gone = ", gone" if here and isinstance(pid, int) and not is_running(pid) else ""
        of_run = f" (run {run.get('run')}, elt pid {pid}{gone})"
    if not living:
        return (
            f"a process of an earlier run of {state_id!r}{of_run} still holds {path}; a new "
            "run would load beside it",
            f"`fuser -v {path}` names it; stop it",
        )
    named = ", ".join(f"{name} (process group {group})" for name, group in living)
    command = "kill -- " + " ".join(f"-{group}" for _, group in living)
    return (
        f"plugins of an earlier run of {state_id!r}{of_run} are still running: {named}; a "
        "new run would load beside them",
        f"Stop them with `{command}`",
    )
