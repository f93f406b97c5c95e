"""Telling people when runs end: webhooks and commands from ``alerts:`` in plugins.yml.

An alert fires on ``failure`` (a run that failed after its last retry), ``success``, or
``slow`` (a successful run that took more than ``slow_factor`` times the median duration of
the last successful runs of its state id; it needs :data:`SLOW_MIN_RUNS` of them to judge).
The payload is one JSON object: a Slack-compatible ``text`` line (Slack, Mattermost and
Teams incoming webhooks show it as is) plus the run's fields (run id, blocks, status,
error, log path, rows...), see :func:`payload`.

A webhook gets a POST with a short timeout and one retry (after a connection error, a
timeout or a 5xx); a command runs through the shell with the payload on stdin and
``ELT_RUN_*`` variables. Sending is best effort: a failure is logged as a warning and never
changes the run's outcome. The webhook URL (which usually holds a token) and the command
line are never logged; messages name an alert by its position and the webhook's host.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from elt.errors import EltError
from elt.history import HistoryStore, RunRecord, RunStatus, median_duration
from elt.project import AlertEvent, AlertSpec

__all__ = ["SLOW_MIN_RUNS", "events_for", "payload", "send_alerts"]

SLOW_MIN_RUNS = 3
SLOW_SAMPLE = 20
_RETRY_PAUSE = 1.0
_log = logging.getLogger("elt.alerts")


def send_alerts(
    alerts: Sequence[AlertSpec],
    record: RunRecord,
    history: HistoryStore,
    *,
    started_at: datetime | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    """Send each alert whose events include how ``record`` ended; never raises.

    ``record`` is the run's last attempt; ``started_at`` the start of its first, when it was
    retried: the duration alerts report covers every attempt and the pauses between them.
    """
    median: float | None = None
    if record.status is RunStatus.SUCCESS and any(AlertEvent.SLOW in a.on for a in alerts):
        try:
            earlier = history.durations(
                record.state_id, before=record.started_at, limit=SLOW_SAMPLE
            )
        except EltError as error:  # a history problem must not cost the alerts
            _log.warning("could not read past durations for slow-run alerts: %s", error)
            earlier = []
        if len(earlier) >= SLOW_MIN_RUNS:
            median = median_duration(earlier)
    for number, alert in enumerate(alerts, start=1):
        event = events_for(alert, record, median)
        if event is None:
            continue
        body = payload(record, event, median, started_at=started_at)
        if alert.webhook is not None:
            _post(number, alert.webhook, body, alert.timeout, sleep)
        if alert.command is not None:
            _run_command(number, alert.command, body, alert.timeout)


def events_for(alert: AlertSpec, record: RunRecord, median: float | None) -> AlertEvent | None:
    """The event ``alert`` fires for on this run, if any (slow wins over success)."""
    if record.status is RunStatus.FAILED:
        return AlertEvent.FAILURE if AlertEvent.FAILURE in alert.on else None
    if record.status is not RunStatus.SUCCESS:
        return None
    duration = record.duration
    slow = median is not None and duration is not None and duration > alert.slow_factor * median
    if slow and AlertEvent.SLOW in alert.on:
        return AlertEvent.SLOW
    return AlertEvent.SUCCESS if AlertEvent.SUCCESS in alert.on else None


def payload(
    record: RunRecord,
    event: AlertEvent,
    median: float | None = None,
    *,
    started_at: datetime | None = None,
) -> dict[str, Any]:
    """What a webhook or command receives: ``text`` for chat tools, then the run's fields.

    ``duration_seconds`` runs from ``started_at`` (the first attempt's start) when given;
    ``attempt_duration_seconds`` is the last attempt's alone.
    """
    chain = " -> ".join(record.blocks)
    attempt_duration = record.duration or 0.0
    duration = attempt_duration
    if started_at is not None and record.ended_at is not None:
        duration = (record.ended_at - started_at).total_seconds()
    rows = record.total_rows
    moved = "" if rows is None else f", {rows} rows"
    head = f"elt run {record.run_id} ({chain}, state id {record.state_id})"
    if event is AlertEvent.FAILURE:
        tried = f" after {record.origin.attempt} attempts" if record.origin.attempt > 1 else ""
        text = f"{head} failed{tried} in {duration:.1f} s: {record.error or 'no error recorded'}"
        text += f"\nlog: {record.log_path}"
    elif event is AlertEvent.SLOW:
        text = f"{head} was slow: {duration:.1f} s, {duration / (median or duration):.1f}x the "
        text += f"median of recent successful runs ({median or 0:.1f} s){moved}"
    else:
        text = f"{head} succeeded in {duration:.1f} s{moved}"
    return {
        "text": text,
        "event": event.value,
        **record.as_dict(),
        "duration_seconds": round(duration, 3),
        "attempt_duration_seconds": round(attempt_duration, 3),
        "median_duration_seconds": None if median is None else round(median, 3),
    }


def _environment(body: dict[str, Any]) -> dict[str, str]:
    fields = {
        "ELT_RUN_ID": body["run_id"],
        "ELT_RUN_EVENT": body["event"],
        "ELT_RUN_STATUS": body["status"],
        "ELT_RUN_STATE_ID": body["state_id"],
        "ELT_RUN_BLOCKS": " ".join(body["blocks"]),
        "ELT_RUN_ENVIRONMENT": body["environment"] or "",
        "ELT_RUN_TRIGGER": body["trigger"],
        "ELT_RUN_ATTEMPT": str(body["attempt"]),
        "ELT_RUN_DURATION": str(body["duration_seconds"] or 0),
        "ELT_RUN_ROWS": json.dumps(body["rows"]),
        "ELT_RUN_ERROR": body["error"] or "",
        "ELT_RUN_LOG": body["log_path"],
    }
    return {**os.environ, **fields}


def _post(
    number: int,
    url: str,
    body: dict[str, Any],
    timeout: float,
    sleep: Callable[[float], None],
) -> None:
    data = json.dumps(body).encode()
    name = f"alert {number} (webhook to {urlsplit(url).hostname or 'an invalid URL'})"
    problem = ""
    for attempt in (1, 2):
        request = urllib.request.Request(
            url, data=data, method="POST", headers={"Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                response.read()
            _log.info("%s: sent (%s)", name, body["event"])
            return
        except urllib.error.HTTPError as error:
            problem = f"HTTP {error.code}"
            if error.code < 500:
                break
        except (urllib.error.URLError, TimeoutError, OSError) as error:
            reason = getattr(error, "reason", error)
            problem = f"{type(reason).__name__}: {reason}" if str(reason) else type(reason).__name__
        except ValueError:  # not a URL urllib can use
            problem = "the URL is not a valid http(s) URL"
            break
        if attempt == 1:
            sleep(_RETRY_PAUSE)
    _log.warning("%s failed: %s; the run's outcome is unchanged", name, _scrub(problem, url))


def _run_command(number: int, command: str, body: dict[str, Any], timeout: float) -> None:
    name = f"alert {number} (command)"
    try:
        done = subprocess.run(
            command,
            shell=True,
            input=json.dumps(body).encode(),
            env=_environment(body),
            capture_output=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        _log.warning("%s did not finish within %g s; the run's outcome is unchanged", name, timeout)
        return
    except OSError as error:
        _log.warning("%s could not start: %s", name, error.strerror or error)
        return
    if done.returncode != 0:
        _log.warning(
            "%s exited with code %d; the run's outcome is unchanged", name, done.returncode
        )
    else:
        _log.info("%s: done (%s)", name, body["event"])


def _scrub(text: str, url: str) -> str:
    """``text`` without the URL or its path and query (where tokens live)."""
    parts = urlsplit(url)
    for secret in (url, parts.path, parts.query):
        if secret and secret != "/":
            text = text.replace(secret, "********")
    return text
