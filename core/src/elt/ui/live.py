"""A running run, live: its log and its per-stream progress as server-sent events.

The log comes from ``Project.follow_log`` (what ``elt logs --follow`` reads: the run's log
file, as it grows, until the run ends), the progress from ``Project.run_progress`` (the
METRIC lines in that file), so a run going on in another process, a scheduler's or a
terminal's, is followed as well as one started here.

Events: ``log`` (a chunk of the log, JSON text), ``progress`` (the stream table as HTML,
JSON text), and ``end`` (the run's final status) after which the stream closes; the page's
script then reloads to show the finished run. Each event's data is one JSON value on one
line, so a log line can hold anything.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from elt import Project, RunStatus
from elt.ui.page import call, ui_of
from elt.ui.runs import find_run, run_id_of, stream_rows

__all__ = ["PROGRESS_INTERVAL", "ROUTES", "event"]

PROGRESS_INTERVAL = 1.0
_HEADERS = {"cache-control": "no-store", "x-accel-buffering": "no"}


def event(name: str, data: object) -> str:
    """One server-sent event whose data is ``data`` as JSON."""
    return f"event: {name}\ndata: {json.dumps(data)}\n\n"


async def _status(project: Project, run_id: str) -> RunStatus:
    record = await find_run(project, run_id)
    return record.status


async def log_events(request: Request) -> Response:
    """The log of a run from its start, then each chunk as it is written, until it ends."""
    run_id = run_id_of(request)
    project = await ui_of(request).project()
    await find_run(project, run_id)
    chunks: Iterator[str] = await call(project.follow_log, run_id)

    async def events() -> AsyncIterator[str]:
        while True:
            # follow_log blocks until there is more; a worker thread waits for it. When the
            # browser goes away the generator is dropped, and closed once that wait returns.
            chunk = await run_in_threadpool(next, chunks, None)
            if chunk is None:
                break
            yield event("log", chunk)
        yield event("end", (await _status(project, run_id)).value)

    return StreamingResponse(events(), media_type="text/event-stream", headers=_HEADERS)


async def progress_events(request: Request) -> Response:
    """The stream table of a run every second while it runs, then once more at its end."""
    run_id = run_id_of(request)
    ui = ui_of(request)
    project = await ui.project()
    await find_run(project, run_id)
    table = ui.templates.env.get_template("_progress.html")

    async def events() -> AsyncIterator[str]:
        while True:
            record = await find_run(project, run_id)
            progress = await call(project.run_progress, run_id)
            html = table.render(streams=stream_rows(record, progress))
            yield event("progress", html)
            if record.status is not RunStatus.RUNNING:
                yield event("end", record.status.value)
                return
            await asyncio.sleep(PROGRESS_INTERVAL)

    return StreamingResponse(events(), media_type="text/event-stream", headers=_HEADERS)


ROUTES = [
    Route("/runs/{run_id}/log/live", log_events),
    Route("/runs/{run_id}/progress/live", progress_events),
]
