"""``elt schedule add|list|remove|run|export``: when jobs and runs start, in plugins.yml."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import click

from elt.cli.progress import progress_for
from elt.cli.render import format_option, json_text, table
from elt.cli.session import Session, pass_session
from elt.cli.tasks import executor_option, progress_option, report
from elt.errors import EltError
from elt.history import RunRecord, Trigger
from elt.project import CatchUp, ScheduleSpec, add_schedule, load_project, remove_schedule
from elt.run import project_history
from elt.schedule import next_fire
from elt.schedule.airflow import Operator, export_airflow

__all__ = ["schedule"]


@click.group()
def schedule() -> None:
    """Add, list, remove and run schedules; `elt scheduler` starts them on time.

    A schedule runs a job (--job) or one run (--run "TAP [MAPPER...] TARGET") on a cron
    expression (five fields, or six with seconds last) or @hourly, @daily, @weekly,
    @monthly, @yearly, read in UTC or in --timezone, in an environment (--env), with retries.
    `elt schedule export` hands them to another scheduler (Airflow) instead.
    """


@schedule.command("add")
@click.argument("name")
@click.option("--job", "job", metavar="JOB", help="The job to run.")
@click.option("--run", "run", metavar='"TAP [MAPPER...] TARGET"', help="One run to make.")
@click.option(
    "--interval", required=True, metavar="CRON", help="Cron expression or @hourly, @daily, ..."
)
@click.option("--timezone", metavar="ZONE", help="IANA time zone of the interval (default UTC).")
@click.option("--env", "env", metavar="ENVIRONMENT", help="Environment to run in.")
@click.option("--retries", type=click.IntRange(min=0), help="Retries of a retriable failure.")
@click.option(
    "--retry-delay", type=click.FloatRange(min=0), metavar="SECONDS", help="First retry pause."
)
@click.option(
    "--catch-up",
    type=click.Choice([c.value for c in CatchUp]),
    help="After downtime, run a missed firing once (default) or skip it.",
)
@pass_session
def add(
    session: Session,
    *,
    name: str,
    job: str | None,
    run: str | None,
    interval: str,
    timezone: str | None,
    env: str | None,
    retries: int | None,
    retry_delay: float | None,
    catch_up: str | None,
) -> None:
    """Add the schedule NAME, of a --job or of one --run.

    \b
    Examples:
      elt schedule add nightly --job nightly --interval "0 3 * * *" --env prod --retries 2
      elt schedule add csv-hourly --run "tap-csv target-postgres" --interval @hourly
      elt schedule add morning --job daily --interval "30 6 * * 1-5" --timezone Europe/Berlin
    """
    added = add_schedule(
        session.root(),
        name,
        interval=interval,
        timezone=timezone,
        job=job,
        run=run,
        env=env,
        retries=retries,
        retry_delay=retry_delay,
        catch_up=None if catch_up is None else CatchUp(catch_up),
    )
    click.echo(f"added schedule {added.name} ({added.path}): {added.interval}")


@schedule.command("list")
@format_option("text")
@pass_session
def list_schedules(session: Session, *, output: str) -> None:
    """List the schedules, when each fires next (if no run is missed or still going) and how
    its latest run went (from the run history)."""
    schedules = load_project(session.root(), interpolate=False).manifest.schedules
    now = datetime.now(UTC)
    last = _last_runs(session, [spec.name for spec in schedules]) if schedules else {}
    entries = [
        _as_dict(spec, next_fire(spec.interval, now, spec.timezone), last.get(spec.name))
        for spec in schedules
    ]
    if output == "json":
        click.echo(json_text(entries))
    elif entries:
        headers = ("schedule", "runs", "interval", "zone", "env", "retries", "catch up", "next")
        keys = ("name", "runs", "interval", "timezone", "env", "retries", "catch_up", "next_at")
        rows = [
            [*(str(e[k] if e[k] is not None else "") for k in keys), _last_text(e["last_run"])]
            for e in entries
        ]
        click.echo(table((*headers, "last run"), rows))
    else:
        click.echo("no schedules; add one with: elt schedule add NAME ...", err=True)


@schedule.command("remove")
@click.argument("name")
@pass_session
def remove(session: Session, *, name: str) -> None:
    """Remove the schedule NAME."""
    path = remove_schedule(session.root(), name)
    click.echo(f"removed schedule {name} ({path})")


@schedule.command("run")
@click.argument("name")
@click.option(
    "--trigger",
    type=click.Choice([Trigger.CLI.value, Trigger.SCHEDULE.value, Trigger.UI.value]),
    default=Trigger.CLI.value,
    hidden=True,
    help="What starts it: `elt scheduler` passes schedule, `elt ui`'s Run now ui.",
)
@executor_option()
@progress_option()
@pass_session
def run(
    session: Session, *, name: str, trigger: str, executor: str | None, progress_interval: float
) -> None:
    """Run the schedule NAME now: its job or run, environment and retries.

    The runs are recorded in the history as runs of this schedule (trigger cli), so
    `elt scheduler` counts them as the schedule's latest run. Exits like `elt run`: with
    the first failing task's code, without running the tasks after it.
    """
    session.api().run_schedule(
        name,
        executor=executor,
        trigger=Trigger(trigger),
        display=progress_for(progress_interval),
        on_result=report,
    )


@schedule.group("export")
def export() -> None:
    """Write the schedules as another scheduler's files (Airflow DAGs)."""


@export.command("airflow")
@click.argument("folder", metavar="DIR", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--operator",
    type=click.Choice([o.value for o in Operator]),
    default=Operator.ELT.value,
    show_default=True,
    help="What runs each task: elt's EltRunOperator (run id and rows in XCom; no retry of a "
    "failure a retry cannot fix), or BashOperator running `elt run`.",
)
@click.option(
    "--project-dir",
    metavar="PATH",
    help="Where Airflow's workers find this project. Default: its absolute path here.",
)
@pass_session
def export_airflow_dags(
    session: Session, *, folder: Path, operator: str, project_dir: str | None
) -> None:
    """Write one Airflow DAG file per schedule into DIR (e.g. Airflow's dags folder).

    Each DAG has the schedule's cron times, time zone, catch-up and retries, and one task
    per task of its job, waiting for each other as the job's tasks do. The files say they
    are generated: run the command again after changing plugins.yml. Unchanged files are
    left as they are, files of schedules that are gone are removed, files not written by
    elt are never touched.

    \b
    Examples:
      elt schedule export airflow ~/airflow/dags/elt
      elt schedule export airflow dags/ --operator bash --project-dir /opt/airflow/project
    """
    done = export_airflow(
        session.root(), folder, operator=Operator(operator), project_dir=project_dir
    )
    for label, paths in (
        ("wrote", done.written),
        ("unchanged", done.unchanged),
        ("removed", done.removed),
    ):
        for path in paths:
            click.echo(f"{label} {path}")
    if not (done.written or done.unchanged or done.removed):
        click.echo("no schedules to export; add one with: elt schedule add NAME ...", err=True)


def _last_runs(session: Session, names: list[str]) -> dict[str, RunRecord]:
    """The latest run of each schedule; none (with a note) when the history cannot be read,
    so the list still shows what plugins.yml says."""
    found: dict[str, RunRecord] = {}
    try:
        with project_history(session.project()) as history:
            for name in names:
                record = history.last_of_schedule(name)
                if record is not None:
                    found[name] = record
    except EltError as error:
        click.echo(f"note: no last runs shown: {error}", err=True)
    return found


def _last_text(last: object) -> str:
    if not isinstance(last, dict):
        return "-"
    return f"{last['status']} {last['started_at']}"


def _as_dict(spec: ScheduleSpec, next_at: datetime, last: RunRecord | None) -> dict[str, object]:
    return {
        "name": spec.name,
        "runs": f"job {spec.job}" if spec.job is not None else spec.run,
        "job": spec.job,
        "run": spec.run,
        "interval": spec.interval,
        "timezone": spec.timezone,
        "env": spec.env,
        "retries": spec.retries,
        "retry_delay": spec.retry_delay,
        "catch_up": spec.catch_up.value,
        "next_at": next_at.isoformat(timespec="seconds").replace("+00:00", "Z"),
        "last_run": None if last is None else _last_dict(last),
    }


def _last_dict(last: RunRecord) -> dict[str, object]:
    shown = last.as_dict()
    return {k: shown[k] for k in ("run_id", "status", "started_at", "ended_at", "trigger", "error")}
