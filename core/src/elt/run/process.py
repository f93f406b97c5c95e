"""Plugin processes of one run: started in their own process groups, watched, and stopped.

A plugin's stderr is copied into the run log by a thread (:class:`~elt.run.logs.StderrPump`)
and another thread waits for it to exit, so that whether it still runs is known without a
lock (a signal handler asks) and waiting for it can time out.

Stopping is SIGTERM to the plugin's process group (a wrapper script's children included),
then SIGKILL to whatever is left after ``stop_timeout`` seconds. An interruption (Ctrl-C or
SIGTERM to elt) stops every plugin that way at once; a second one kills them right away.
An elt that cannot stop them (killed by SIGKILL) takes them with it: see
:mod:`elt.run.orphans`.
"""

from __future__ import annotations

import contextlib
import logging
import os
import select
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from types import TracebackType
from typing import IO, Any

from elt.errors import PluginError
from elt.run.invoker import Invocation
from elt.run.logs import RunLog, StderrPump
from elt.run.orphans import PluginGuard, die_with_elt

__all__ = ["PluginProcess", "Supervisor", "describe_exit", "signal_name"]

_PUMP_JOIN_SECONDS = 5.0

# a file descriptor, a file, or one of subprocess's DEVNULL / PIPE constants
_Stream = int | IO[Any] | None


def describe_exit(code: int) -> str:
    """``exited with code 3`` or ``was killed by SIGKILL``."""
    if code >= 0:
        return f"exited with code {code}"
    return f"was killed by {signal_name(-code)}"


def signal_name(number: int) -> str:
    """``SIGTERM`` for 15."""
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


class PluginProcess:
    """One running plugin."""

    def __init__(
        self, invocation: Invocation, popen: subprocess.Popen[bytes], pump: StderrPump
    ) -> None:
        self.invocation = invocation
        self.popen = popen
        self.stopped = False
        self._pump = pump
        self._exited = threading.Event()
        threading.Thread(target=self._watch, name=f"wait {self.name}", daemon=True).start()

    @property
    def name(self) -> str:
        return self.invocation.name

    @property
    def kind(self) -> str:
        return self.invocation.kind

    @property
    def stdout(self) -> IO[bytes]:
        if self.popen.stdout is None:
            raise RuntimeError(f"{self.name} was started without a stdout pipe")
        return self.popen.stdout

    @property
    def running(self) -> bool:
        """Whether it has not exited yet; exact even before the waiting thread notices.

        ``waitid`` with WNOWAIT looks without reaping (the waiting thread reaps), and takes
        no lock, so a signal handler may ask. A process that has exited is never signalled
        and never counted as stopped by elt.
        """
        if self._exited.is_set():
            return False
        try:
            found = os.waitid(os.P_PID, self.popen.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
        except ChildProcessError:  # reaped by the waiting thread just now
            return False
        return found is None

    @property
    def returncode(self) -> int:
        """The exit code; negative for a signal. Only valid once it has exited."""
        code = self.popen.returncode
        if code is None:
            raise RuntimeError(f"{self.name} is still running")
        return code

    def wait(self, timeout: float | None = None) -> bool:
        """Wait until it exits; False if it is still running after ``timeout`` seconds."""
        return self._exited.wait(timeout)

    def signal(self, number: int) -> None:
        """Send ``number`` to the plugin's process group, if it is still running.

        ``stopped`` records that elt stopped it, so its exit is not taken for a failure of
        its own.
        """
        if self.running:
            self.stopped = True
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.popen.pid, number)

    def finish(self) -> int:
        """Wait for exit and for the last of its stderr; the exit code."""
        self.wait()
        self._pump.join(_PUMP_JOIN_SECONDS)
        return self.returncode

    def tail(self) -> list[str]:
        """The last lines of its stderr, redacted."""
        return self._pump.tail()

    def errors(self) -> list[str]:
        """The messages of its last ERROR lines, redacted (held back from the console)."""
        return self._pump.errors()

    def release_errors(self) -> None:
        """Show the ERROR lines held back from the console: it did not fail after all."""
        self._pump.release()

    def _watch(self) -> None:
        self.popen.wait()
        self._exited.set()


class Supervisor:
    """Starts a run's plugins and makes sure none outlives the run."""

    def __init__(self, log: RunLog, stop_timeout: float, guard: PluginGuard | None = None) -> None:
        self.log = log
        self.stop_timeout = stop_timeout
        self.guard = guard
        self.interrupted: int | None = None
        # told of an interruption too (an executor's units): called from the signal handler
        self.followers: list[Callable[[int], None]] = []
        self._processes: list[PluginProcess] = []
        self._closed = False
        # a self-pipe: the one way to wake a thread from a signal handler without a lock
        self._wake_read, self._wake_write = os.pipe()
        self._watchdog = threading.Thread(target=self._kill_late, name="stop timeout", daemon=True)

    def start(
        self, invocation: Invocation, argv: list[str], *, stdin: _Stream, stdout: _Stream
    ) -> PluginProcess:
        """Start a plugin in a new process group; its stderr goes to the run log.

        It dies with elt, and inherits the run's guard (:mod:`elt.run.orphans`).
        """
        self.log.write("elt", f"starting {invocation.name}: {' '.join(argv)}", logging.DEBUG)
        guard = self.guard.descriptor if self.guard is not None else None
        try:
            popen = subprocess.Popen(
                argv,
                stdin=stdin,
                stdout=stdout,
                stderr=subprocess.PIPE,
                env=dict(invocation.env),
                cwd=invocation.cwd,
                process_group=0,
                pass_fds=() if guard is None else (guard,),
                preexec_fn=die_with_elt(),  # noqa: PLW1509 (see die_with_elt)
            )
        except OSError as error:
            raise PluginError(
                f"could not start {invocation.name}: {error.strerror or error}",
                where=str(invocation.executable),
                hint="Check that it is a Singer executable with a valid #! line",
            ) from None
        assert popen.stderr is not None
        if self.guard is not None:
            self.guard.started(invocation.name, popen.pid)
        process = PluginProcess(invocation, popen, self.log.pump(invocation.name, popen.stderr))
        self._processes.append(process)
        if self.interrupted is not None:  # the signal came while it was being started
            process.signal(signal.SIGTERM)
        return process

    def stop(self, process: PluginProcess) -> None:
        """SIGTERM, then SIGKILL if it is still running after ``stop_timeout`` seconds."""
        self._stop([process])

    def stop_all(self) -> None:
        """Stop every plugin still running, all at once."""
        self._stop(self._processes)

    def interrupt(self, signal_number: int) -> None:
        """Called from the signal handler: stop everything (kill it on a second signal).

        A signal handler may run while the main thread holds any lock, so this takes none:
        it sends signals and writes a byte to wake the watchdog thread, which does the
        waiting and the logging.
        """
        if self._closed:  # the run is over; the pipe below may be closed already
            return
        for follower in self.followers:
            follower(signal_number)
        if self.interrupted is not None:
            self._signal_all(signal.SIGKILL)
            return
        self.interrupted = signal_number
        self._signal_all(signal.SIGTERM)
        os.write(self._wake_write, b"!")

    def __enter__(self) -> Supervisor:
        self._watchdog.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop_all()
        self._closed = True
        os.write(self._wake_write, b".")
        self._watchdog.join()
        os.close(self._wake_read)
        os.close(self._wake_write)
        for process in self._processes:
            process.finish()

    def _stop(self, processes: list[PluginProcess]) -> None:
        running = [p for p in processes if p.running]
        for process in running:
            self.log.write("elt", f"stopping {process.name} (SIGTERM)")
            process.signal(signal.SIGTERM)
        deadline = time.monotonic() + self.stop_timeout
        for process in running:
            if not process.wait(max(0.0, deadline - time.monotonic())):
                self.log.write(
                    "elt",
                    f"{process.name} still running {self.stop_timeout:g} s after SIGTERM; "
                    "sending SIGKILL",
                    logging.WARNING,
                )
                process.signal(signal.SIGKILL)
                process.wait()

    def _signal_all(self, number: int) -> None:
        for process in self._processes:
            process.signal(number)

    def _kill_late(self) -> None:
        """After an interruption, SIGKILL what is still running ``stop_timeout`` s later."""
        select.select([self._wake_read], [], [])
        deadline = time.monotonic() + self.stop_timeout
        while True:
            os.read(self._wake_read, 64)  # readable: select said so
            if self._closed:
                return
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([self._wake_read], [], [], remaining)[0]:
                self._kill_stragglers()
                return

    def _kill_stragglers(self) -> None:
        for process in self._processes:
            if process.running:
                self.log.write(
                    "elt",
                    f"{process.name} still running {self.stop_timeout:g} s after SIGTERM; "
                    "sending SIGKILL",
                    logging.WARNING,
                )
                process.signal(signal.SIGKILL)
