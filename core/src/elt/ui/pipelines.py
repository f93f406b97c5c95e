"""The Pipelines page: each schedule's next firing (in its time zone), latest run and Run
now; each pipeline's record; each job's task graph.

Run now starts the schedule as ``elt scheduler`` does (``Project.start_schedule``: a child
``elt schedule run NAME``, recorded with trigger ``ui``) and goes to the Runs page of that
schedule, which refreshes until the run shows up and ends. The child runs in a session of
its own, so it finishes even if the page's server stops; the server reaps it and keeps its
exit code, shown on this page (a run refused before it starts, a held lock for one, leaves
no row in the history, only that code and its error on the server's stderr).
"""

from __future__ import annotations

import subprocess
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from elt import Project, RunRecord
from elt.errors import EltError, UsageError
from elt.ui.graph import layout
from elt.ui.page import action, call, describe, error_page, query, render, ui_of

__all__ = ["ROUTES", "Launch", "Launches"]

_KEPT_LAUNCHES = 20


@dataclass
class Launch:
    """A Run now: which schedule, when, the child's pid and, once it ended, its exit code."""

    schedule: str
    started_at: datetime
    pid: int
    exit_code: int | None = None


class Launches:
    """The latest Run now children of this server, each reaped by a thread of its own."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._launches: list[Launch] = []

    def add(self, schedule: str, child: subprocess.Popen[bytes]) -> Launch:
        launch = Launch(schedule, datetime.now(UTC), child.pid)
        with self._lock:
            self._launches = [launch, *self._launches][:_KEPT_LAUNCHES]
        threading.Thread(
            target=self._reap, args=(launch, child), name=f"elt-ui-reap-{child.pid}", daemon=True
        ).start()
        return launch

    def latest(self) -> list[Launch]:
        with self._lock:
            return list(self._launches)

    def _reap(self, launch: Launch, child: subprocess.Popen[bytes]) -> None:
        code = child.wait()
        with self._lock:
            launch.exit_code = code


def _schedules_view(project: Project) -> list[dict[str, Any]]:
    rows = []
    for spec in project.schedules:
        latest: list[RunRecord] = project.runs(schedule=spec.name, limit=1)
        try:
            upcoming: datetime | None = project.next_firing(spec.name)
            problem = None
        except EltError as error:
            upcoming, problem = None, describe(error)[0]
        rows.append(
            {
                "spec": spec,
                "what": f"job {spec.job}" if spec.job else f"run {spec.run}",
                "next": upcoming,
                "problem": problem,
                "last": latest[0] if latest else None,
            }
        )
    return rows


def _view(project: Project) -> dict[str, Any]:
    return {
        "schedules": _schedules_view(project),
        "pipelines": project.pipelines(),
        "jobs": [
            {"spec": job, "waits": job.waits(), "graph": layout(job.tasks, job.waits())}
            for job in project.jobs
        ],
        "environment": project.environment,
    }


async def pipelines_page(request: Request) -> Response:
    """Schedules, pipelines and jobs."""
    ui = ui_of(request)
    project = await ui.project()
    view = await call(_view, project)
    launches: Launches = request.app.state.launches
    return render(request, "pipelines.html", {**view, "launches": launches.latest()})


@action
async def run_now(request: Request, form: FormData) -> Response:
    """Start the schedule now, recorded with trigger ``ui``; then its Runs page."""
    name: str = request.path_params["name"]
    project = await ui_of(request).project()
    try:
        child: subprocess.Popen[bytes] = await call(project.start_schedule, name, trigger="ui")
    except UsageError as error:
        raise HTTPException(404, describe(error)[0]) from None
    except EltError as error:
        message, hint = describe(error)
        return error_page(request, 409, message, hint=hint)
    launches: Launches = request.app.state.launches
    launch = launches.add(name, child)
    started = launch.started_at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return RedirectResponse(query("/runs", {"schedule": name, "started": started}), 303)


ROUTES = [
    Route("/pipelines", pipelines_page),
    Route("/schedules/{name}/run", run_now, methods=["POST"]),
]
