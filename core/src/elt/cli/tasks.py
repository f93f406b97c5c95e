"""What the commands that start runs share: ``--env``, ``--config``, ``--progress-interval``
and running a job's tasks.

``elt run`` and ``elt job run`` take the same per-run parameters, spelled the same way;
``elt job run`` and ``elt schedule run`` run a list of tasks, each with the progress display
of ``elt run``, and print the same line and table of streams for each one that finished.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from typing import TypeVar

import click

from elt.cli.progress import DEFAULT_PROGRESS_INTERVAL, progress_for, stream_table
from elt.project import NO_OVERRIDES, OVERRIDE_FORM, Overrides, Project
from elt.run import LOCAL, RunRequest, RunResult, run_tasks
from elt.run.units import Executor, ThreadExecutor

__all__ = [
    "config_option",
    "env_option",
    "executor_for",
    "executor_option",
    "progress_option",
    "retry_options",
    "run_and_report",
]

FC = TypeVar("FC", bound=Callable[..., object])


def env_option() -> Callable[[FC], FC]:
    """``--env NAME`` (passed as ``env``): the environment of this command's runs."""
    return click.option(
        "--env",
        "env",
        metavar="NAME",
        help="Environment to run in (same as the global -e, which it must not contradict).",
    )


def config_option() -> Callable[[FC], FC]:
    """``--config PLUGIN.SETTING=VALUE``, repeatable (passed as ``config_items``)."""
    return click.option(
        "--config",
        "config_items",
        multiple=True,
        metavar=OVERRIDE_FORM,
        help="Set a plugin's setting for this run only, over every other source; VALUE is "
        "read as by `elt config set`. Repeatable.",
    )


def executor_option() -> Callable[[FC], FC]:
    """``--executor ADDRESS`` (passed as ``executor``): where the runs run."""
    return click.option(
        "--executor",
        "executor",
        metavar="ADDRESS",
        help="local (one pipe here, the default), local:N (streams and partitions as units, N "
        "at a time here) or a Dask scheduler (tcp://HOST:8786, tls://HOST:8786). Default: "
        "$ELT_EXECUTOR, else executor: in plugins.yml (environment, then top level).",
    )


def executor_for(project: Project, address: str) -> Executor | None:
    """The executor object for ``address``; None for :data:`~elt.run.LOCAL` (one pipe)."""
    if address == LOCAL:
        return None
    if address.startswith("local:"):
        return ThreadExecutor(project, int(address.removeprefix("local:")))
    from elt.executor.dask import DaskExecutor  # distributed: only when asked for

    return DaskExecutor(address)


def retry_options(what: str) -> Callable[[FC], FC]:
    """``--retries N`` and ``--retry-delay SECONDS`` (passed as ``retries``, ``retry_delay``);
    ``what`` says what is retried, in the help."""
    retries = click.option(
        "--retries",
        type=click.IntRange(min=0),
        default=0,
        show_default=True,
        metavar="N",
        help=f"Retry {what} up to N times.",
    )
    delay = click.option(
        "--retry-delay",
        type=click.FloatRange(min=0),
        default=10.0,
        show_default=True,
        metavar="SECONDS",
        help="Pause before the first retry; doubled for each next one (capped, with jitter).",
    )

    def decorate(command: FC) -> FC:
        return retries(delay(command))

    return decorate


def progress_option() -> Callable[[FC], FC]:
    """``--progress-interval SECONDS`` (passed as ``progress_interval``)."""
    return click.option(
        "--progress-interval",
        type=click.FloatRange(min=0),
        default=DEFAULT_PROGRESS_INTERVAL,
        show_default=True,
        metavar="SECONDS",
        help="Off a terminal, print each stream's progress this often; 0: only the final table.",
    )


def run_and_report(
    project: Project,
    requests: Sequence[RunRequest],
    *,
    waits: Sequence[Collection[int]] | None = None,
    overrides: Overrides = NO_OVERRIDES,
    progress_interval: float = DEFAULT_PROGRESS_INTERVAL,
) -> None:
    """Run a job's (or a schedule's) requests in order (:func:`elt.run.run_tasks`), showing
    each one's progress and printing a line and its streams as each ends.

    The first failure is raised, so the command exits with that task's code.
    """
    run_tasks(
        project,
        requests,
        waits=waits,
        overrides=overrides,
        on_result=_report,
        display=progress_for(progress_interval),
        executors=lambda address: executor_for(project, address),
    )


def _report(number: int, result: RunResult) -> None:
    chain = " -> ".join((result.tap, *result.mappers, result.target))
    click.echo(f"{chain}: done in {result.duration:.1f} s ({result.run_id}, {result.state_id})")
    if result.streams:
        click.echo(stream_table(result.streams))
