"""A run's log: every plugin's stderr, tagged and redacted, in one file and on the console.

Each line goes to ``<project>/.elt/logs/<state id>/<run id>.log`` (mode 0600: a plugin may
print data) as ``<UTC time> <source> | <text>``, and to the ``elt.run`` logger as
``<source> | <text>``, so ``--log-level`` decides what reaches the console while the file
keeps everything. A line is logged at the level it names (singer-sdk and the logging
module write ``INFO``, ``WARNING``, ``ERROR`` near the start of a line); lines that name
none, like the rest of a traceback, keep the level of the line before them.

Secrets are replaced by ``********`` before a line is written anywhere: the values of the
plugin's secret settings in every form a plugin or a server may print them — as they are,
JSON-escaped (a plugin that logs its config as JSON), URL-encoded (a query string) or
decoded, base64-encoded, and the base64 of ``user:secret`` of each user and secret that
sit side by side (a Basic ``Authorization`` header echoed in a 401 body) — and whatever
shows as a credential by its place, though elt never saw its value (a token an OAuth2
endpoint handed out, after ``Bearer`` or ``"access_token":``; see
:func:`elt.protocol.redact_credentials`, whose name rule is the one settings use).

Each plugin line is also handed to the run's :class:`~elt.run.metrics.RunMetrics`, which
counts the rows and bytes of the METRIC lines among them.

A plugin's ERROR (and CRITICAL) lines are held back from the console while it runs: if it
fails they are the message of the run's one error paragraph (said once, not echoed and
then quoted again); if it succeeds they are shown when it ends (:meth:`StderrPump.release`).
The file gets every line at once.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import re
import threading
from collections import deque
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import IO
from urllib.parse import quote, quote_plus, unquote

from elt.project import REDACTED
from elt.protocol import redact_credentials
from elt.run.metrics import RunMetrics

__all__ = ["Redactor", "RunLog", "StderrPump"]

logger = logging.getLogger("elt.run")

TAIL_LINES = 10
ERROR_MESSAGES = 3
_HELD_LINES = 50
_LEVEL = re.compile(r"(?<![A-Za-z])(DEBUG|INFO|WARNING|WARN|ERROR|CRITICAL|FATAL)(?![A-Za-z])")
_LEVEL_SCAN = 80
_LEVELS = {
    "DEBUG": logging.DEBUG,
    "INFO": logging.INFO,
    "WARN": logging.WARNING,
    "WARNING": logging.WARNING,
    "ERROR": logging.ERROR,
    "CRITICAL": logging.CRITICAL,
    "FATAL": logging.CRITICAL,
}


class Redactor:
    """Replaces every occurrence of a secret value, in any of its forms, in a line of text,
    and every credential that shows by its place (see the module docstring)."""

    def __init__(self, secrets: Iterable[str]) -> None:
        forms = {form for secret in secrets if secret for form in _forms(secret)}
        ordered = sorted(forms, key=len, reverse=True)  # the longest secret wins an overlap
        self._pattern = re.compile("|".join(map(re.escape, ordered))) if ordered else None

    def __call__(self, text: str) -> str:
        if self._pattern is not None:
            text = self._pattern.sub(REDACTED, text)
        return redact_credentials(text)


def _forms(secret: str) -> set[str]:
    """``secret`` as it is and as an encoder may have turned it (see the module docstring)."""
    encoded = base64.b64encode(secret.encode()).decode().rstrip("=")
    forms = {
        secret,
        json.dumps(secret)[1:-1],
        quote(secret, safe=""),
        quote_plus(secret, safe=""),
        unquote(secret),
        encoded,
        encoded.replace("+", "-").replace("/", "_"),  # the URL-safe alphabet
    }
    return {form for form in forms if form}


class RunLog:
    """The log of one run; safe to write from several threads."""

    def __init__(self, path: Path, redact: Redactor, metrics: RunMetrics | None = None) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC, 0o600)
        self.path = path
        self._file = os.fdopen(descriptor, "w", encoding="utf-8", errors="replace")
        self._redact = redact
        self._lock = threading.Lock()
        self.metrics = metrics if metrics is not None else RunMetrics()

    def write(
        self, source: str, text: str, level: int = logging.INFO, *, console: bool = True
    ) -> str:
        """Record one line from ``source`` (a plugin name, or ``elt`` for the runner), also
        on the console unless ``console`` is false; the line as recorded (redacted)."""
        line = self._redact(text)
        stamp = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        with self._lock:
            if self._file.closed:  # a grandchild kept stderr open past the end of the run
                return line
            self._file.write(f"{stamp} {source} | {line}\n")
            self._file.flush()
        if console:
            logger.log(level, "%s | %s", source, line)
        return line

    def redact(self, text: str) -> str:
        """``text`` with the run's secrets replaced, for messages that quote plugin output."""
        return self._redact(text)

    def pump(self, source: str, stream: IO[bytes]) -> StderrPump:
        """Start copying ``stream`` (a plugin's stderr) into the log, line by line."""
        return StderrPump(self, source, stream)

    def close(self) -> None:
        with self._lock:
            self._file.close()


class StderrPump:
    """A thread that logs each line of one plugin's stderr and keeps the last few."""

    def __init__(self, log: RunLog, source: str, stream: IO[bytes]) -> None:
        self._log = log
        self._source = source
        self._stream = stream
        self._tail: deque[str] = deque(maxlen=TAIL_LINES)
        self._errors: deque[str] = deque(maxlen=ERROR_MESSAGES)
        self._held: deque[tuple[int, str]] = deque(maxlen=_HELD_LINES)
        self._thread = threading.Thread(target=self._run, name=f"stderr {source}", daemon=True)
        self._thread.start()

    def tail(self) -> list[str]:
        """The last lines read (redacted), oldest first."""
        return list(self._tail)

    def errors(self) -> list[str]:
        """The messages of the last ERROR/CRITICAL lines (redacted), oldest first, without
        the time, level and logger name a logging format puts before them."""
        return list(dict.fromkeys(self._errors))

    def release(self) -> None:
        """Show on the console the error lines held back (the plugin did not fail)."""
        while self._held:
            level, line = self._held.popleft()
            logger.log(level, "%s | %s", self._source, line)

    def join(self, timeout: float) -> None:
        """Wait for end of file; a grandchild holding stderr open is not waited on forever."""
        self._thread.join(timeout)

    def _run(self) -> None:
        level = logging.INFO
        with self._stream:
            for raw in self._stream:
                text = raw.decode("utf-8", errors="replace").rstrip("\r\n")
                found = _LEVEL.search(text, 0, _LEVEL_SCAN)
                if found:
                    level = _LEVELS[found.group(1)]
                self._log.metrics.feed(self._source, text)
                held = level >= logging.ERROR
                line = self._log.write(self._source, text, level, console=not held)
                self._tail.append(line)
                if held:
                    self._held.append((level, line))
                    if found:
                        self._errors.append(_message(line, found.end()))


def _message(line: str, after_level: int) -> str:
    """What an error line says, without the logging format's time, level and logger name:
    ``2026-… | ERROR    | tap-csv | files[0].path: …`` → ``files[0].path: …``."""
    rest = line[after_level:].lstrip(" :|-")
    column = rest.find(" | ")
    if 0 <= column <= _LEVEL_SCAN and " " not in rest[:column].strip():
        rest = rest[column + 3 :]
    return rest.strip() or line.strip()
