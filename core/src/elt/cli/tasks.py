"""What the commands that start runs share: ``--env``, ``--config``, ``--progress-interval``
and running a job's tasks.

``elt run`` and ``elt job run`` take the same per-run parameters, spelled the same way;
``elt job run`` and ``elt schedule run`` run a list of tasks, each with the progress display
of ``elt run``, and print the same line and table of streams for each one that finished.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import click

from elt.api import RunResult
from elt.cli.progress import DEFAULT_PROGRESS_INTERVAL, stream_table
from elt.project import OVERRIDE_FORM

__all__ = [
    "config_option",
    "env_option",
    "executor_option",
    "progress_option",
    "report",
    "retry_options",
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


def report(result: RunResult) -> None:
    """Print the line and the table of streams of a job's (or a schedule's) task that ended."""
    chain = " -> ".join(result.blocks)
    click.echo(f"{chain}: done in {result.duration:.1f} s ({result.run_id}, {result.state_id})")
    if result.streams:
        click.echo(stream_table(result.streams))
