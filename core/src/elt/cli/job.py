"""``elt job add|list|remove|run``: named sequences of runs in plugins.yml, and running one."""

from __future__ import annotations

import click

from elt.cli.progress import progress_for
from elt.cli.render import format_option, json_text, table
from elt.cli.session import Session, pass_session
from elt.cli.tasks import (
    config_option,
    env_option,
    executor_option,
    progress_option,
    report,
    retry_options,
)
from elt.project import add_job, blocks_of, load_project, parse_overrides, remove_job

__all__ = ["job"]


@click.group()
def job() -> None:
    """Add, list, remove and run jobs: named lists of runs that schedules start.

    A job runs its tasks in order, each like one `elt run TAP [MAPPER...] TARGET`, and
    stops at the first task that fails (after that task's retries).
    """


@job.command("add")
@click.argument("name")
@click.argument("tasks", nargs=-1, required=True, metavar="TASK...")
@pass_session
def add(session: Session, *, name: str, tasks: tuple[str, ...]) -> None:
    """Add a job NAME running each TASK ("TAP [MAPPER...] TARGET", quoted) in order.

    Every plugin a task names must be declared, in its place (a tap first, a target
    last); the rest of plugins.yml, comments included, is left as it was.

    \b
    Examples:
      elt job add nightly "tap-csv target-postgres" "tap-http hash-emails target-files"
    """
    added = add_job(session.root(), name, list(tasks))
    click.echo(f"added job {added.name} ({added.path}): {len(added.tasks)} tasks")


@job.command("list")
@format_option("text")
@pass_session
def list_jobs(session: Session, *, output: str) -> None:
    """List the jobs of plugins.yml and their tasks."""
    jobs = load_project(session.root(), interpolate=False).manifest.jobs
    if output == "json":
        click.echo(json_text([{"name": j.name, "tasks": j.tasks} for j in jobs]))
    elif jobs:
        click.echo(table(("job", "tasks"), [(j.name, ", ".join(j.tasks)) for j in jobs]))
    else:
        click.echo("no jobs; add one with: elt job add NAME 'TAP TARGET'", err=True)


@job.command("remove")
@click.argument("name")
@pass_session
def remove(session: Session, *, name: str) -> None:
    """Remove the job NAME (refused while a schedule runs it)."""
    path = remove_job(session.root(), name)
    click.echo(f"removed job {name} ({path})")


@job.command("run")
@click.argument("name")
@env_option()
@config_option()
@retry_options("each task's failure a retry can fix (as `elt run --retries`)")
@executor_option()
@progress_option()
@pass_session
def run(
    session: Session,
    *,
    name: str,
    env: str | None,
    config_items: tuple[str, ...],
    retries: int,
    retry_delay: float,
    executor: str | None,
    progress_interval: float,
) -> None:
    """Run the job NAME now: each of its tasks in order, like `elt run`.

    A line is printed as each task ends; a task that fails (after its retries) stops the
    tasks that wait for it (by default every task waits for the one before it; see
    depends_on in plugins.yml) and elt exits with the first failing task's code. On an
    executor other than local, tasks that do not wait for each other run at the same
    time. Each task is a run of its own in the history (trigger cli). A --config override
    goes to every task that runs its plugin, and must name a plugin some task runs.

    \b
    Examples:
      elt job run nightly
      elt job run nightly --env prod --retries 2 --retry-delay 30
      elt job run nightly --config tap-http.start_date=2024-01-01
      elt job run nightly --executor tcp://scheduler:8786
    """
    project = session.api(env)
    spec = project.job(name)
    plugins = [plugin for task in spec.tasks for plugin in blocks_of(task)]
    overrides = parse_overrides(project.loaded, config_items, plugins, scope=f"job {name}")
    requests = [
        project.request(
            blocks_of(task),
            overrides={p: v for p, v in overrides.items() if p in blocks_of(task)},
            retries=retries,
            retry_delay=retry_delay,
            executor=executor,
            job=name,
        )
        for task in spec.tasks
    ]
    project.execute_job(
        name,
        requests,
        waits=spec.waits(),
        overrides=overrides,
        display=progress_for(progress_interval),
        on_result=report,
    )
