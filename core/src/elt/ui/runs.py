"""The Runs page (the history, filtered and paged, with a chart per pipeline), a run's own
page, its log as text, and the chart series.

A run is named in a URL by its run id only, checked to be one (letters, digits, ``.``,
``_``, ``:`` and ``-``) before the history is asked: a log is never served by a path, and a
run id the history does not hold is a 404.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from elt import Project, RunRecord, RunStatus, StreamProgress
from elt.errors import UsageError
from elt.ui.page import call, query, render, ui_of

__all__ = ["ROUTES", "RunFilter", "find_run", "run_id_of"]

PAGE_SIZE = 50
MAX_PAGE_SIZE = 500
MAX_CHARTS = 12
SERIES_LIMIT = 500
LOG_TAIL_CHARS = 256 * 1024
# a Run now whose run has not shown up after this long is not waited for any more
STARTED_PATIENCE = timedelta(seconds=60)
_RUN_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")
_RANGES = {"1h": timedelta(hours=1), "24h": timedelta(days=1), "7d": timedelta(days=7)}
_RANGES["30d"] = timedelta(days=30)
_MEASURABLE_SECONDS = 0.1


def _bad(message: str) -> HTTPException:
    return HTTPException(400, message)


def _moment(name: str, text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise _bad(f"{name}={text!r} is not a time: use YYYY-MM-DDTHH:MM (UTC)") from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


@dataclass(frozen=True)
class RunFilter:
    """Which runs the Runs page lists: the filters of ``Project.runs`` from the query."""

    state_id: str | None = None
    job: str | None = None
    schedule: str | None = None
    status: RunStatus | None = None
    last: str | None = None
    since: datetime | None = None
    until: datetime | None = None

    @classmethod
    def of(cls, params: Mapping[str, str]) -> RunFilter:
        """From the query; a value that means nothing is a 400 saying what is expected."""
        given = {key: params.get(key, "").strip() or None for key in _FILTER_KEYS}
        status = given["status"]
        if status is not None and status not in {s.value for s in RunStatus}:
            raise _bad(f"status={status!r}: use one of {', '.join(s.value for s in RunStatus)}")
        last = given["last"]
        if last is not None and last not in _RANGES:
            raise _bad(f"last={last!r}: use one of {', '.join(_RANGES)}")
        if last is not None and given["since"] is not None:
            raise _bad("give last or since, not both")
        since = _moment("since", given["since"]) if given["since"] else None
        until = _moment("until", given["until"]) if given["until"] else None
        if last is not None:
            since = datetime.now(UTC) - _RANGES[last]
        return cls(
            state_id=given["state_id"],
            job=given["job"],
            schedule=given["schedule"],
            status=RunStatus(status) if status is not None else None,
            last=last,
            since=since,
            until=until,
        )

    def api(self) -> dict[str, Any]:
        """The keywords of ``Project.runs`` and ``Project.count_runs``."""
        return {
            "state_id": self.state_id,
            "job": self.job,
            "schedule": self.schedule,
            "status": self.status,
            "since": self.since,
            "until": self.until,
        }

    def params(self) -> dict[str, str | None]:
        """The query that gives this filter again (``last`` stays relative to now)."""
        return {
            "state_id": self.state_id,
            "job": self.job,
            "schedule": self.schedule,
            "status": self.status.value if self.status else None,
            "last": self.last,
            "since": None if self.last or self.since is None else _local(self.since),
            "until": None if self.until is None else _local(self.until),
        }


_FILTER_KEYS = ("state_id", "job", "schedule", "status", "last", "since", "until")


def _local(moment: datetime) -> str:
    """A time as a datetime-local input holds it (UTC, to the minute or second)."""
    text = moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")
    return text.removesuffix(":00")


def _paging(params: Mapping[str, str]) -> tuple[int, int]:
    try:
        offset = int(params.get("offset") or 0)
        limit = int(params.get("limit") or PAGE_SIZE)
    except ValueError:
        raise _bad("offset and limit are whole numbers") from None
    if offset < 0 or not 1 <= limit <= MAX_PAGE_SIZE:
        raise _bad(f"offset is 0 or more and limit from 1 to {MAX_PAGE_SIZE}")
    return offset, limit


def _runs_view(project: Project, chosen: RunFilter, offset: int, limit: int) -> dict[str, Any]:
    runs = project.runs(limit=limit, offset=offset, **chosen.api())
    total = project.count_runs(**chosen.api())
    return {"runs": runs, "total": total}


async def runs_page(request: Request) -> Response:
    """The history, newest first: filters, a page of runs, a chart per pipeline."""
    chosen = RunFilter.of(request.query_params)
    offset, limit = _paging(request.query_params)
    started = request.query_params.get("started")
    launched = _moment("started", started) if started else None
    project = await ui_of(request).project()
    view = await call(_runs_view, project, chosen, offset, limit)
    here = {**chosen.params(), "limit": None if limit == PAGE_SIZE else limit}
    runs: list[RunRecord] = view["runs"]
    waiting = (
        launched is not None
        and datetime.now(UTC) - launched < STARTED_PATIENCE
        and not any(r.started_at >= launched - timedelta(seconds=2) for r in runs)
    )
    live = offset == 0 and (waiting or any(r.status is RunStatus.RUNNING for r in runs))
    context: dict[str, Any] = {
        **view,
        "filter": chosen,
        "offset": offset,
        "limit": limit,
        "newer": query("/runs", {**here, "offset": max(offset - limit, 0) or None})
        if offset
        else None,
        "older": query("/runs", {**here, "offset": offset + limit})
        if offset + limit < view["total"]
        else None,
        "refresh": query("/runs", {**here, "started": started}) if live else None,
        "launched": launched,
    }
    if request.headers.get("hx-target") == "runs-table":  # the table refreshing itself
        return render(request, "_runs_table.html", context)
    pipelines = await call(project.pipelines, since=chosen.since)
    shown = [p for p in pipelines if chosen.state_id in (None, p.state_id)][:MAX_CHARTS]
    context.update(
        {
            "pipelines": shown,
            "state_ids": sorted({p.state_id for p in pipelines} | _chosen(chosen.state_id)),
            "jobs": sorted({j.name for j in project.jobs} | _chosen(chosen.job)),
            "schedules": sorted({s.name for s in project.schedules} | _chosen(chosen.schedule)),
            "statuses": [s.value for s in RunStatus],
            "ranges": list(_RANGES),
            "series_since": None if chosen.since is None else _local(chosen.since),
        }
    )
    return render(request, "runs.html", context)


def _chosen(value: str | None) -> set[str]:
    return set() if value is None else {value}


def run_id_of(request: Request) -> str:
    """The run id of the URL, when it can be one; else 404 before anything is read."""
    run_id: str = request.path_params["run_id"]
    if not _RUN_ID.fullmatch(run_id):
        raise HTTPException(404, "no such run: a run is named by its run id")
    return run_id


async def find_run(project: Project, run_id: str) -> RunRecord:
    """The history's record of ``run_id``; 404 when it holds none."""
    try:
        record: RunRecord = await call(project.get_run, run_id)
    except UsageError:
        raise HTTPException(404, f"no run {run_id} in the history") from None
    return record


@dataclass(frozen=True)
class StreamRow:
    """A line of a run's stream table: rows (committed once the run ended, else so far),
    seconds and rows per second."""

    stream: str
    rows: int
    seconds: float | None
    done: bool

    @property
    def rate(self) -> float | None:
        if self.seconds is None or self.seconds < _MEASURABLE_SECONDS:
            return None
        return self.rows / self.seconds


def stream_rows(record: RunRecord, progress: list[StreamProgress]) -> list[StreamRow]:
    """Each stream of the run: what the history recorded, timed by the METRIC lines."""
    ended = record.status is not RunStatus.RUNNING
    timed = {p.stream: p for p in progress}
    rows = [
        StreamRow(
            p.stream,
            record.rows.get(p.stream, p.rows) if ended else p.rows,
            p.seconds,
            p.done or ended,
        )
        for p in progress
    ]
    rows += [StreamRow(s, n, None, ended) for s, n in record.rows.items() if s not in timed]
    return rows


def attempts(project: Project, record: RunRecord) -> list[RunRecord]:
    """Every attempt of the run ``record`` is one of (a retried run), first first; just it
    when it was never retried."""
    first_id = record.origin.retry_of or record.run_id
    try:
        first = record if first_id == record.run_id else project.get_run(first_id)
    except UsageError:
        first = record
    later = project.runs(state_id=record.state_id, since=first.started_at, limit=200)
    chain = {r.run_id: r for r in later if r.origin.retry_of == first_id}
    chain[first.run_id] = first
    chain[record.run_id] = record
    return sorted(chain.values(), key=lambda r: (r.origin.attempt, r.started_at))


def _log_tail(project: Project, run_id: str) -> tuple[str | None, bool]:
    try:
        text = project.logs(run_id)
    except UsageError:
        return None, False
    if len(text) <= LOG_TAIL_CHARS:
        return text, False
    cut = text[-LOG_TAIL_CHARS:]
    return cut[cut.find("\n") + 1 :], True


def _run_view(project: Project, record: RunRecord) -> dict[str, Any]:
    running = record.status is RunStatus.RUNNING
    progress = project.run_progress(record.run_id)
    log, cut = (None, False) if running else _log_tail(project, record.run_id)
    return {
        "run": record,
        "running": running,
        "streams": stream_rows(record, progress),
        "attempts": attempts(project, record),
        "units": [_unit(unit) for unit in record.units],
        "log": log,
        "log_cut": cut,
    }


def _unit(unit: Mapping[str, Any]) -> dict[str, Any]:
    keys = ("stream", "partition", "worker", "status", "attempt", "rows", "seconds")
    return {key: unit.get(key) for key in keys}


async def run_page(request: Request) -> Response:
    """One run: blocks, trigger, attempts, streams, units, error, and its log (live while it
    runs)."""
    run_id = run_id_of(request)
    project = await ui_of(request).project()
    record = await find_run(project, run_id)
    view = await call(_run_view, project, record)
    return render(request, "run.html", view)


async def run_log(request: Request) -> Response:
    """The whole log of a run, as text: by run id, never by path."""
    run_id = run_id_of(request)
    project = await ui_of(request).project()
    await find_run(project, run_id)
    try:
        text: str = await call(project.logs, run_id)
    except UsageError as error:
        raise HTTPException(404, f"run {run_id} has no log. {error.hint or ''}") from None
    return PlainTextResponse(
        text, headers={"content-disposition": f'inline; filename="{run_id}.log"'}
    )


async def series(request: Request) -> Response:
    """A pipeline's latest runs as chart columns: start (epoch seconds), seconds, rows, and
    the seconds of the failed ones apart, so that they stand out."""
    state_id = request.query_params.get("state_id", "").strip()
    if not state_id:
        raise _bad("state_id is needed")
    since_text = request.query_params.get("since")
    since = _moment("since", since_text) if since_text else None
    project = await ui_of(request).project()
    points = await call(project.run_series, state_id, since=since, limit=SERIES_LIMIT)
    failed = {RunStatus.FAILED, RunStatus.INTERRUPTED, RunStatus.UNKNOWN}
    return JSONResponse(
        {
            "state_id": state_id,
            "run_ids": [p.run_id for p in points],
            "status": [p.status.value for p in points],
            "time": [p.started_at.timestamp() for p in points],
            "duration": [p.duration if p.status is RunStatus.SUCCESS else None for p in points],
            "failed": [
                (p.duration if p.duration is not None else 0.0) if p.status in failed else None
                for p in points
            ],
            "rows": [p.rows for p in points],
        }
    )


async def home(request: Request) -> Response:
    return RedirectResponse("/runs", 302)


ROUTES = [
    Route("/", home),
    Route("/runs", runs_page),
    Route("/series", series),
    Route("/runs/{run_id}", run_page),
    Route("/runs/{run_id}/log", run_log),
]
