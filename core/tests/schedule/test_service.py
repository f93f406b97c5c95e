"""``elt scheduler`` for real: a 1-second cron firing the toy pipeline, stopped by SIGTERM."""

from __future__ import annotations

import json
import signal
import subprocess
from typing import Any

from core.tests.plugins import TAP, TARGET, ToyProject, elt_executable, wait_for
from elt.history import RunStatus, Trigger, open_history
from elt.schedule import SCHEDULER_LOG


def with_schedules(toy: ToyProject, **extra: Any) -> None:
    path = toy.root / "plugins.yml"
    document = json.loads(path.read_text())
    document.update(extra)
    path.write_text(json.dumps(document, indent=2))


def runs(toy: ToyProject) -> list[Any]:
    with open_history(toy.root, None) as history:
        return history.list_runs(limit=None)


def test_the_scheduler_fires_every_second_and_stops_cleanly_on_sigterm(toy: ToyProject) -> None:
    toy.write(tap={"count": 2})
    with_schedules(
        toy,
        schedules=[{"name": "every-second", "run": f"{TAP} {TARGET}", "interval": "* * * * * *"}],
    )
    process = subprocess.Popen(
        [elt_executable(), "--project", str(toy.root), "scheduler", "--stop-timeout", "20"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_for(lambda: sum(r.status is RunStatus.SUCCESS for r in runs(toy)) >= 2, timeout=30)
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=30)
    assert process.returncode == 0, stderr
    rows = runs(toy)
    assert len(rows) >= 2
    assert {r.origin.trigger for r in rows} == {Trigger.SCHEDULE}
    assert {r.origin.schedule for r in rows} == {"every-second"}
    # a run stopped by the SIGTERM is recorded as interrupted, never left running
    assert {r.status for r in rows} <= {RunStatus.SUCCESS, RunStatus.INTERRUPTED}
    assert "every-second: fired" in stderr
    assert "no run in the history; next at" in stderr
    logged = (toy.root / ".elt" / "logs" / SCHEDULER_LOG).read_text()
    assert "every-second: fired" in logged
    assert "stopp" in logged.splitlines()[-1]
