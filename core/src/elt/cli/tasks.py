"""What the commands that start runs share: ``--env``, ``--config``, and running a job's tasks.

``elt run`` and ``elt job run`` take the same per-run parameters, spelled the same way;
``elt job run`` and ``elt schedule run`` run a list of tasks and print the same line for
each one that finished.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

import click

from elt.history import Trigger
from elt.project import NO_OVERRIDES, OVERRIDE_FORM, Overrides, Project
from elt.run import RetryPolicy, RunResult, run_tasks

__all__ = ["config_option", "env_option", "run_and_report"]

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


def run_and_report(
    project: Project,
    tasks: Sequence[str],
    *,
    policy: RetryPolicy,
    environment: str | None,
    trigger: Trigger,
    schedule: str | None = None,
    overrides: Overrides = NO_OVERRIDES,
) -> None:
    """Run ``tasks`` in order (:func:`elt.run.run_tasks`), printing a line as each ends.

    The first failure is raised, so the command exits with that task's code.
    """
    run_tasks(
        project,
        tasks,
        policy=policy,
        environment=environment,
        trigger=trigger,
        schedule=schedule,
        overrides=overrides,
        on_result=_report,
    )


def _report(result: RunResult) -> None:
    chain = " -> ".join((result.tap, *result.mappers, result.target))
    click.echo(f"{chain}: done in {result.duration:.1f} s ({result.run_id}, {result.state_id})")
