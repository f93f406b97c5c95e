"""``elt scheduler``: start the project's schedules on time, until SIGTERM."""

from __future__ import annotations

import sys

import click

from elt.cli.session import Session, pass_session
from elt.cli.tasks import executor_option
from elt.schedule import run_scheduler

__all__ = ["scheduler"]


@click.command()
@click.option(
    "--stop-timeout",
    type=click.FloatRange(min=0),
    default=60.0,
    show_default=True,
    metavar="SECONDS",
    help="How long running runs get to stop after SIGTERM before they are killed.",
)
@executor_option()
@pass_session
def scheduler(session: Session, *, stop_timeout: float, executor: str | None) -> None:
    """Start the schedules of plugins.yml when they are due, until SIGTERM or Ctrl-C.

    Each firing runs `elt schedule run NAME` as a child process (history trigger
    schedule). A schedule whose previous run is still going is skipped, not started
    twice. The next firing comes from the schedule's latest run in the history, so a
    restart knows what already ran; a firing missed while no scheduler ran is run once at
    start (catch_up: once, the default) or skipped (catch_up: skip). Each decision is
    logged to stderr and .elt/logs/scheduler.log. On SIGTERM or SIGINT no new run starts,
    running ones get SIGTERM (they keep what they committed) and --stop-timeout seconds
    to end, and the scheduler exits 0.

    \b
    Examples:
      elt scheduler
      elt -e prod scheduler --stop-timeout 300
      elt scheduler --executor tcp://scheduler:8786
    """
    run_scheduler(
        session.project(),
        command=[sys.executable, "-m", "elt.cli"],
        environment=session.environment,
        log_level=session.log_level,
        stop_timeout=stop_timeout,
        executor=executor,
    )
