"""One run, as asked for: the plugins and every option, in one frozen object.

The CLI (and the Python API) build a :class:`RunRequest` once and hand it down through
:func:`~elt.run.run_tasks`, :func:`~elt.run.run_with_retries` and
:func:`~elt.run.run_pipeline`, so a new option is one field here, not a keyword in five
signatures. What is not data — the progress display, a clock, the state store and history
opened by the caller — stays a keyword of the function that uses it.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from elt.errors import ConfigError, UsageError
from elt.history import RunOrigin, Trigger
from elt.project import NO_OVERRIDES, Overrides, Project, blocks_of, check_executor

__all__ = [
    "DEFAULT_MAX_DELAY",
    "DEFAULT_STOP_TIMEOUT",
    "EXECUTOR_ENV",
    "LOCAL",
    "RetryPolicy",
    "RunRequest",
    "executor_address",
]

DEFAULT_STOP_TIMEOUT: Final = 10.0
DEFAULT_MAX_DELAY: Final = 600.0
LOCAL: Final = "local"
"""The executor that runs the whole pipeline on this machine, as one unit (the default)."""
EXECUTOR_ENV: Final = "ELT_EXECUTOR"


@dataclass(frozen=True)
class RetryPolicy:
    """How many times to retry a retriable failure, and how long to wait before each."""

    retries: int = 0
    delay: float = 10.0
    max_delay: float = DEFAULT_MAX_DELAY

    def pause(self, retry: int, rng: random.Random | None = None) -> float:
        """Seconds to wait before retry number ``retry`` (0 for the first)."""
        ceiling = min(self.max_delay, self.delay * 2.0**retry)
        jitter: float = (rng or random.Random()).uniform(0, ceiling / 2)
        return ceiling / 2 + jitter


@dataclass(frozen=True)
class RunRequest:
    """``elt run TAP [MAPPER...] TARGET`` and its options.

    ``overrides`` are ``--config`` values (they win over every other source of the plugins'
    config; never written to disk). ``executor`` is :data:`LOCAL` or the address of a Dask
    scheduler (``tcp://host:8786``, ``tls://host:8786``); the caller hands the matching
    executor object to :func:`~elt.run.run_with_retries`. ``trigger``, ``schedule`` and
    ``job`` say why the run happens, for the history.
    """

    tap: str
    target: str
    mappers: tuple[str, ...] = ()
    environment: str | None = None
    state_id: str | None = None
    full_refresh: bool = False
    overrides: Overrides = field(default_factory=lambda: NO_OVERRIDES, hash=False)
    policy: RetryPolicy = RetryPolicy()
    stop_timeout: float = DEFAULT_STOP_TIMEOUT
    force: bool = False
    record_lines: bool = False
    install: bool = True
    executor: str = LOCAL
    trigger: Trigger = Trigger.CLI
    schedule: str | None = None
    job: str | None = None

    @classmethod
    def of(cls, blocks: Sequence[str], **options: Any) -> RunRequest:
        """The request for ``TAP [MAPPER...] TARGET`` with ``options`` (fields)."""
        if len(blocks) < 2:
            raise UsageError("name a TAP and a TARGET", hint="elt run TAP [MAPPER...] TARGET")
        tap, *mappers, target = blocks
        return cls(tap, target, tuple(mappers), **options)

    @classmethod
    def task(cls, task: str, *, overrides: Overrides = NO_OVERRIDES, **options: Any) -> RunRequest:
        """The request for one task of a job (``"tap-csv hash-emails target-postgres"``):
        the job's ``overrides`` of the task's own plugins, and ``options``."""
        names = blocks_of(task)
        mine = {plugin: values for plugin, values in overrides.items() if plugin in names}
        return cls.of(names, overrides=mine, **options)

    @property
    def blocks(self) -> tuple[str, ...]:
        """The plugins in pipe order: tap, mappers, target."""
        return (self.tap, *self.mappers, self.target)

    def origin(self, attempt: int = 1, first: str | None = None) -> RunOrigin:
        """Why this attempt runs, as the history records it."""
        trigger = self.trigger if attempt == 1 else Trigger.RETRY
        return RunOrigin(trigger, attempt, first, self.schedule, self.job)


def executor_address(project: Project, environment: str | None, given: str | None = None) -> str:
    """Where a run runs: ``given`` (``--executor``), else ``ELT_EXECUTOR``, else the active
    environment's ``executor:``, else the top-level one in plugins.yml, else :data:`LOCAL`."""
    if given is not None:
        return _checked(given, "--executor")
    variable = project.environ.get(EXECUTOR_ENV)
    if variable:
        return _checked(variable, EXECUTOR_ENV)
    active = project.environment(environment)
    if active is not None and active.executor is not None:
        return active.executor
    return project.manifest.executor or LOCAL


def _checked(value: str, where: str) -> str:
    try:
        return check_executor(value)
    except ValueError as error:
        raise ConfigError(str(error), where=where) from None
