"""A run with retries and alerts: what ``elt run`` (and later the scheduler) calls.

A failed attempt is retried only when a retry can fix it (``EltError.retriable``): a
service that was unreachable or refused (exit 75), a plugin that exited 75 or was killed by
a signal elt did not send. Bad configuration (78), bad data (65), a plugin's own error, a
state id locked by another run and an interruption by the user are final: running them
again would fail the same way, or go against what the user asked.

Each attempt is a run of its own in the history (trigger ``retry``, attempt number, and
the first attempt's run id), and continues from the bookmark the failed one committed. The
pause before retry ``n`` (0 first) is ``delay * 2**n``, capped at ``max_delay``, with
"equal jitter" (half of it fixed, half random) so that pipelines failing together on one
outage do not all come back at the same instant.

Alerts (:mod:`elt.run.alerts`) judge the outcome of the whole sequence: a failure is
reported once, after the last attempt, not for every attempt that is retried.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable

from elt.errors import EltError, Interrupted
from elt.history import HistoryStore, headline
from elt.project import Project
from elt.run.alerts import send_alerts
from elt.run.metrics import RunMetrics, Watcher
from elt.run.record import project_history
from elt.run.request import RunRequest
from elt.run.runner import RunResult, new_run_id, run_pipeline
from elt.run.units import Executor
from elt.state import StateStore

__all__ = ["run_with_retries"]

_log = logging.getLogger("elt.run")


def run_with_retries(
    project: Project,
    request: RunRequest,
    *,
    store: StateStore | None = None,
    history: HistoryStore | None = None,
    sleep: Callable[[float], None] = time.sleep,
    watcher: Watcher | None = None,
    executor: Executor | None = None,
) -> RunResult:
    """Run the pipeline, retrying retriable failures (``request.policy``), then send the
    project's alerts.

    Returns the result of the attempt that succeeded; raises the error of the last attempt,
    its ``run_id`` set to that attempt's.
    Every attempt keeps the request's schedule, job and ``--config`` overrides in the
    history; only the first runs with ``full_refresh``. ``watcher`` (a progress display) is
    handed the metrics of each attempt before it starts. ``executor`` runs the request's
    units (None: one pipe here; see :func:`~elt.run.run_pipeline`). ``sleep`` is for tests.
    """
    policy = request.policy
    with contextlib.ExitStack() as owned:
        if history is None:
            history = owned.enter_context(project_history(project))
        first = new_run_id()
        origin = request.origin()
        run_id = first
        while True:
            metrics = RunMetrics()
            if watcher is not None:
                watcher.watch(metrics)
            try:
                result = run_pipeline(
                    project,
                    request,
                    store=store,
                    history=history,
                    run_id=run_id,
                    origin=origin,
                    metrics=metrics,
                    metric_interval=None if watcher is None else watcher.metric_interval,
                    executor=executor,
                )
            except EltError as error:
                error.run_id = run_id
                if origin.attempt > policy.retries or not error.retriable:
                    _alert(project, history, run_id, first)
                    raise
                wait = policy.pause(origin.attempt - 1)
                _log.warning(
                    "run %s failed (%s); retry %d of %d in %.1f s",
                    run_id,
                    headline(str(error)),
                    origin.attempt,
                    policy.retries,
                    wait,
                )
                _pause(wait, sleep, error)
                origin = request.origin(origin.attempt + 1, first)
                run_id = new_run_id()
                continue
            _alert(project, history, run_id, first)
            return result


def _pause(seconds: float, sleep: Callable[[float], None], failure: EltError) -> None:
    """Wait before a retry; Ctrl-C while waiting ends the run as interrupted."""
    try:
        sleep(seconds)
    except KeyboardInterrupt:
        raise Interrupted(
            f"interrupted while waiting to retry; the last attempt failed: {failure}",
            signal_number=2,
        ) from None


def _alert(project: Project, history: HistoryStore, run_id: str, first: str) -> None:
    """Send the alerts for the run's last attempt, ``run_id``; ``first`` is the first
    attempt's, where the run's duration starts."""
    alerts = project.manifest.alerts
    if not alerts:
        return
    try:
        record = history.get(run_id)
        started = record
        if record is not None and first != run_id:
            started = history.get(first) or record
    except EltError as error:
        _log.warning("alerts not sent: the run history could not be read: %s", error)
        return
    if record is not None and started is not None:  # None: never started (a held lock)
        send_alerts(alerts, record, history, started_at=started.started_at)
