"""``elt runs list|show`` and ``elt logs``: the run history and each run's log."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import click

from elt.cli.progress import unit_table
from elt.cli.render import format_option, json_text, table, value_text
from elt.cli.session import Session, pass_session
from elt.errors import UsageError
from elt.history import HistoryStore, RunRecord, RunStatus, follow_log
from elt.run import project_history

__all__ = ["logs", "runs"]

_SUMMARY_CHARS = 60


@contextlib.contextmanager
def _history(session: Session) -> Iterator[HistoryStore]:
    with project_history(session.project()) as history:
        yield history


def _find(history: HistoryStore, run_id: str) -> RunRecord:
    record = history.get(run_id)
    if record is None:
        raise UsageError(f"no run {run_id!r} in the history", hint="`elt runs list` shows the runs")
    return record


@click.group()
def runs() -> None:
    """List and show the runs recorded in the system database.

    Every `elt run` is recorded (.elt/system.db unless system_database in plugins.yml names
    another): its blocks, state id, environment, --config overrides (secrets as ********),
    trigger (cli, schedule, retry), start, end, status (running, success, failed,
    interrupted; unknown for a run whose elt was killed), rows per stream, error and log.

    \b
    Examples:
      elt runs list
      elt runs list --status failed --limit 5
      elt runs show 20250101T120000Z-1a2b3c
    """


@runs.command("list")
@click.option(
    "--limit", type=click.IntRange(min=1), default=20, show_default=True, help="At most N runs."
)
@click.option("--state-id", metavar="ID", help="Only the runs of this state id.")
@click.option(
    "--status",
    type=click.Choice([s.value for s in RunStatus]),
    help="Only the runs in this status.",
)
@click.option("--schedule", metavar="NAME", help="Only the runs of this schedule.")
@click.option("--job", metavar="NAME", help="Only the runs of this job's tasks.")
@format_option("table")
@pass_session
def list_runs(
    session: Session,
    *,
    limit: int,
    state_id: str | None,
    status: str | None,
    schedule: str | None,
    job: str | None,
    output: str,
) -> None:
    """List the latest runs, newest first.

    \b
    Examples:
      elt runs list
      elt runs list --state-id dev:tap-csv-to-target-postgres --format json
      elt runs list --schedule nightly --status failed
    """
    found = session.api().runs(
        limit=limit, state_id=state_id, status=status, schedule=schedule, job=job
    )
    if output == "json":
        click.echo(json_text([record.as_dict() for record in found]))
        return
    if not found:
        click.echo("no runs recorded", err=True)
        return
    headers = (
        "run id", "started", "status", "duration", "rows", "state id", "job", "trigger", "error"
    )  # fmt: skip
    click.echo(table(headers, [_row(record) for record in found]))


def _row(record: RunRecord) -> list[str]:
    duration = record.duration
    summary = record.summary
    if len(summary) > _SUMMARY_CHARS:
        summary = summary[: _SUMMARY_CHARS - 1] + "…"
    return [
        record.run_id,
        f"{record.started_at:%Y-%m-%d %H:%M:%S}",
        record.status.value,
        "" if duration is None else f"{duration:.1f} s",
        _rows(record),
        record.state_id,
        record.origin.job or "",
        record.origin.trigger.value
        + (f" #{record.origin.attempt}" if record.origin.attempt > 1 else ""),
        summary,
    ]


def _rows(record: RunRecord) -> str:
    """Total rows, marked ``(extracted)`` when the target did not report what it committed."""
    total = record.total_rows
    if total is None:
        return ""
    return str(total) if record.rows_kind != "extracted" else f"{total} (extracted)"


@runs.command("show")
@click.argument("run_id")
@format_option("text")
@pass_session
def show_run(session: Session, run_id: str, output: str) -> None:
    """Show everything recorded about RUN_ID: blocks, --config overrides (secrets as
    ********), times, rows per stream, error, log.

    \b
    Examples:
      elt runs show 20250101T120000Z-1a2b3c
      elt runs show 20250101T120000Z-1a2b3c --format json
    """
    record = session.api().get_run(run_id)
    data = record.as_dict()
    if output == "json":
        click.echo(json_text(data))
        return
    lines = [
        f"run:         {record.run_id}",
        f"status:      {record.status.value}"
        + ("" if record.exit_code is None else f" (exit {record.exit_code})"),
        f"blocks:      {' -> '.join(record.blocks)}",
        f"state id:    {record.state_id}",
        f"environment: {record.environment or '-'}",
        "overrides:" + ("" if record.overrides else "   -"),
        *(
            f"  {plugin}.{setting} = {value_text(value)}"
            for plugin, settings in record.overrides.items()
            for setting, value in settings.items()
        ),
        f"trigger:     {record.origin.trigger.value}, attempt {record.origin.attempt}"
        + (f" (retry of {record.origin.retry_of})" if record.origin.retry_of else "")
        + (f", schedule {record.origin.schedule}" if record.origin.schedule else "")
        + (f", job {record.origin.job}" if record.origin.job else ""),
        f"started:     {data['started_at']}",
        f"ended:       {data['ended_at'] or '-'}",
        f"duration:    {'-' if record.duration is None else f'{record.duration:.1f} s'}",
        f"pid:         {record.pid} on {record.host}",
        f"log:         {record.log_path}",
        f"bytes:       {'-' if record.bytes is None else record.bytes}",
        "rows:" + (f" ({record.rows_kind})" if record.rows else "        -"),
        *(f"  {stream}: {count}" for stream, count in record.rows.items()),
    ]
    if record.units:
        lines += ["units:", *(f"  {line}" for line in unit_table(record.units).splitlines())]
    if record.error:
        lines += ["error:", *(f"  {line}" for line in record.error.splitlines())]
    click.echo("\n".join(lines))


@click.command()
@click.argument("run_id")
@click.option("--follow", "-f", is_flag=True, help="Keep printing what the run logs until it ends.")
@pass_session
def logs(session: Session, run_id: str, follow: bool) -> None:
    """Print the log of RUN_ID (every plugin's stderr, redacted, and elt's own lines).

    With --follow, wait for new lines like `tail -f` until the run ends.

    \b
    Examples:
      elt logs 20250101T120000Z-1a2b3c
      elt logs --follow "$(elt runs list --limit 1 --format json | jq -r '.[0].run_id')"
    """
    with _history(session) as history:
        record = _find(history, run_id)
        path = Path(record.log_path)

        def running() -> bool:
            current = history.get(run_id)
            return current is not None and current.status is RunStatus.RUNNING

        if not follow or record.status is not RunStatus.RUNNING:
            if not path.exists():
                raise UsageError(
                    f"run {run_id} has no log at {path}",
                    hint=f"It ended before starting its plugins: {record.summary}"
                    if record.error
                    else "The log file was removed",
                )
            with path.open(encoding="utf-8", errors="replace") as log:
                for chunk in iter(lambda: log.read(64 * 1024), ""):
                    click.echo(chunk, nl=False)
            return
        for text in follow_log(path, running):
            click.echo(text, nl=False)
