"""``elt job add|list|remove``: named sequences of runs in plugins.yml."""

from __future__ import annotations

import click

from elt.cli.render import format_option, json_text, table
from elt.cli.session import Session, pass_session
from elt.project import add_job, load_project, remove_job

__all__ = ["job"]


@click.group()
def job() -> None:
    """Add, list and remove jobs: named lists of runs that schedules start.

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
