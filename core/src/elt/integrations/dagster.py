"""elt in Dagster: a tap's streams as software-defined assets, elt's schedules as Dagster's.

``pip install 'elt-core[dagster]'``; Dagster is imported by this module alone.

:func:`elt_assets` turns one elt run (``TAP [MAPPER...] TARGET``) into a multi-asset: one
asset per stream the tap's selection selects, keyed by the stream's name under
``key_prefix``, all materialized by ONE ``project.run(...)`` — a Singer pipe moves its
streams together and keeps one bookmark, so a stream cannot be run alone. Each asset's
materialization carries what the run moved for its stream (``rows``, committed by the
target when it reports commits: ``rows_kind``) and which run it was (``run_id`` as in
``elt runs list``, ``state_id``, ``log_path``). The definition cannot be subset
(``can_subset=False``): elt has no per-run stream selection, and materializing "only
orders" while the pipe also loads "customers" would be a lie; to run fewer streams,
narrow the tap's ``select`` in plugins.yml (or define a second tap that inherits from it).

A failed run fails the step with elt's one-paragraph error (and its exit code, run id and
log as failure metadata). Whether Dagster may retry it follows elt's classes: a failure a
retry can fix (exit 75: a service unreachable, a plugin that exited 75 or was killed) is
an ordinary failure that the step's :class:`dagster.RetryPolicy` retries; any other (bad
config 78, bad data 65, a plugin's error 70) is ``Failure(allow_retries=False)``, which
no policy retries. ``retries=`` are elt's own retries inside the step instead (one Dagster
attempt, one history row per attempt).

:func:`elt_schedules` turns the ``schedules:`` of plugins.yml into Dagster schedules:

- ``interval``: cron as is; ``@hourly``, ``@daily``/``@midnight``, ``@weekly``,
  ``@monthly``, ``@yearly``/``@annually`` spelled out in five fields; a sixth (seconds)
  field is dropped when it is ``0`` and refused otherwise (Dagster fires on whole minutes).
  ``timezone`` becomes ``execution_timezone``. Across daylight saving time Dagster's rules
  apply: a time skipped in spring fires right after the jump, as with ``elt scheduler``;
  in the hour repeated in autumn a fixed time fires once, at its *later* occurrence
  (``elt scheduler`` takes the first).
- ``job``: a Dagster job with one op per task, each op waiting for the tasks the elt job
  says it waits for (``depends_on``, else the task before); an op whose upstream failed is
  skipped, as ``elt job run`` skips it. ``run``: the asset job of an :func:`elt_assets`
  definition passed in ``assets=`` that makes the same run (same blocks, environment and
  state id), so the schedule's materializations land on the assets; else a job of one op.
  Either way each run is recorded in elt's history with the schedule's name.
- ``env``: the environment the runs use (default: the project's).
- ``retries`` and ``retry_delay``: ``RetryPolicy(max_retries=retries, delay=retry_delay,
  backoff=EXPONENTIAL)`` on every op, which retries only what elt calls retriable (above).
  Dagster's exponential backoff waits ``delay * (2**n - 1)`` before retry n (60, 180,
  420 s for a 60 s delay) where ``elt scheduler`` doubles (60, 120, 240 s).
- ``catch_up``: ``once`` is what Dagster's daemon does for a schedule without partitions:
  after downtime it evaluates only the latest missed tick, and runs it once. ``skip`` is
  checked when a tick is evaluated: a tick evaluated more than ``missed_after`` (default
  5 minutes) after its time was missed and is skipped, with the reason in the tick's log.

Definitions keep the :class:`elt.Project` they were made with: plugins.yml is read when the
code location loads (Dagster reloads it on demand, and each launched run loads it afresh).
Plugin logs go to each run's log file (``log_path``); progress (rows per stream so far)
goes to the step's log every ``progress_interval`` seconds.

>>> from elt.integrations.dagster import elt_assets, elt_definitions   # doctest: +SKIP
>>> raw = elt_assets("my-project", "tap-csv", "target-postgres", key_prefix="raw")  # doctest: +SKIP
>>> defs = elt_definitions("my-project", assets=[raw])                 # doctest: +SKIP
"""

# No ``from __future__ import annotations``: Dagster reads the annotation of a compute
# function's ``context`` when it is defined, and refuses one that is a string.
import os
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import dagster as dg

from elt import Project, RunProgress, RunResult
from elt.errors import ConfigError, EltError

__all__ = [
    "SCHEDULE_TAG",
    "elt_assets",
    "elt_definitions",
    "elt_job",
    "elt_schedules",
]

#: The run tag naming the elt schedule a Dagster run was started by (elt's history keeps it)
SCHEDULE_TAG = "elt/schedule"
#: Definition metadata of each asset :func:`elt_assets` makes: what run materializes it
TASK_KEY, ENVIRONMENT_KEY, STATE_ID_KEY, STREAM_KEY = (
    "elt/task",
    "elt/environment",
    "elt/state_id",
    "elt/stream",
)
DEFAULT_MISSED_AFTER = timedelta(minutes=5)
#: Seconds between the progress lines a run logs to its step
PROGRESS_INTERVAL = 30.0

ProjectLike = Project | str | os.PathLike[str]

_CRON_ALIASES = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}
_NOT_A_NAME = re.compile(r"[^A-Za-z0-9_]")


def elt_assets(
    project: ProjectLike,
    tap: str,
    target: str,
    *,
    mappers: Sequence[str] = (),
    streams: Sequence[str] | None = None,
    environment: str | None = None,
    key_prefix: str | Sequence[str] | None = None,
    group_name: str | None = None,
    config: Mapping[str, object] | None = None,
    name: str | None = None,
    state_id: str | None = None,
    full_refresh: bool = False,
    executor: str | None = None,
    retries: int = 0,
    retry_delay: float = 10.0,
    retry_policy: dg.RetryPolicy | None = None,
    progress_interval: float = PROGRESS_INTERVAL,
) -> dg.AssetsDefinition:
    """A Dagster multi-asset of the streams ``tap`` loads into ``target``: one asset per
    stream, all materialized by one elt run.

    ``project``: an :class:`elt.Project` or its path. ``streams``: the streams to declare;
    None: those the tap's selection selects (:meth:`elt.Project.streams`, which runs the
    tap's discovery once and caches it). Declared streams are checked against the
    selection before each run (one it does not select fails the step: it would never
    load); a selected stream left undeclared is still loaded, and the step's log says so.
    ``key_prefix`` goes before each stream's name in its asset key, ``group_name`` is the
    assets' group, ``name`` the op's (default: the blocks joined by ``__``,
    ``tap_csv__target_postgres``).

    ``config``, ``state_id``, ``full_refresh``, ``executor``, ``retries`` and
    ``retry_delay`` are :meth:`elt.Project.run`'s; ``full_refresh`` is also the default
    of the op's config, so one launch can ask for it (``{"full_refresh": true}``).
    ``retry_policy`` is Dagster's, for failures elt calls retriable (see the module).
    """
    opened = _open(project, environment)
    declared = list(streams) if streams is not None else opened.streams(tap)
    if not declared:
        raise ConfigError(
            f"{tap} selects no stream: there is no asset to define",
            hint=f"Check its select rules (elt select {tap} --list), or pass streams=",
        )
    repeated = sorted({stream for stream in declared if declared.count(stream) > 1})
    if repeated:
        raise ConfigError(f"streams names {', '.join(repeated)} more than once")
    prefix = [key_prefix] if isinstance(key_prefix, str) else list(key_prefix or ())
    blocks = (tap, *mappers, target)
    task = " ".join(blocks)
    effective_state_id = state_id or opened.state_id(tap, target)
    keys = {stream: dg.AssetKey([*prefix, stream]) for stream in declared}
    outs = {
        output: dg.AssetOut(
            key=keys[stream],
            dagster_type=dg.Nothing,
            description=f"Stream {stream} of {tap}, loaded into {target} by elt.",
            metadata={
                TASK_KEY: task,
                ENVIRONMENT_KEY: opened.environment or "",
                STATE_ID_KEY: effective_state_id,
                STREAM_KEY: stream,
            },
        )
        for output, stream in zip(_unique_names(declared), declared, strict=True)
    }

    def materialize(context: dg.AssetExecutionContext) -> Iterator[Any]:
        def start(progress: Callable[[RunProgress], None]) -> RunResult:
            if streams is not None:
                _check_selected(opened, tap, declared)
            return opened.run(
                tap,
                target,
                mappers=mappers,
                config=config,
                state_id=state_id,
                full_refresh=bool(context.op_config["full_refresh"]),
                retries=retries,
                retry_delay=retry_delay,
                executor=executor,
                progress=progress,
                progress_interval=progress_interval,
                check=False,
                schedule=context.run.tags.get(SCHEDULE_TAG),
            )

        result = _run(context, start)
        undeclared = sorted(set(result.rows) - set(declared))
        if undeclared:
            context.log.warning(
                f"the run also loaded {', '.join(undeclared)}, which are not assets of this "
                "definition (declare them in streams=, or narrow the tap's select)"
            )
        for stream in declared:
            yield dg.MaterializeResult(asset_key=keys[stream], metadata=_metadata(result, stream))

    return dg.multi_asset(
        name=name or _op_name(task),
        outs=outs,
        group_name=group_name,
        can_subset=False,
        retry_policy=retry_policy,
        description=f"elt run {task} (state id {effective_state_id}): one run loads every stream.",
        config_schema={
            "full_refresh": dg.Field(
                bool,
                default_value=full_refresh,
                description="Extract everything, without the stored bookmark (a new one is kept).",
            )
        },
        op_tags={TASK_KEY: task},
    )(materialize)


def elt_job(
    project: ProjectLike,
    job: str,
    *,
    environment: str | None = None,
    name: str | None = None,
    retry_policy: dg.RetryPolicy | None = None,
    executor: str | None = None,
) -> dg.JobDefinition:
    """A Dagster job running the elt job ``job``: one op per task, each waiting for the
    tasks it waits for in plugins.yml, each an ``elt run`` recorded with the job's name
    (and the schedule's, when a schedule of :func:`elt_schedules` started it).

    ``retry_policy`` goes to every op, ``executor`` (:meth:`elt.Project.run`'s) to every
    task; ``name`` is the Dagster job's (default: the elt job's, Dagster's characters).
    """
    opened = _open(project, environment)
    spec = opened.job(job)
    tasks = [" ".join(task.split()) for task in spec.tasks]
    ops = [
        _task_op(opened, task, op_name, job=spec.name, executor=executor, retry_policy=retry_policy)
        for task, op_name in zip(tasks, _unique_names([_op_name(t) for t in tasks]), strict=True)
    ]
    waits = spec.waits()

    def compose() -> None:
        done: dict[int, Any] = {}
        for index in _in_order(waits):
            upstream = [done[number] for number in sorted(waits[index])]
            done[index] = ops[index](after=upstream) if upstream else ops[index]()

    return dg.job(
        name=name or _identifier(job),
        description=f"elt job {job}: {'; '.join(tasks)}",
        tags={"elt/job": spec.name},
    )(compose)


def elt_schedules(
    project: ProjectLike,
    *,
    assets: Sequence[dg.AssetsDefinition] = (),
    environment: str | None = None,
    missed_after: timedelta = DEFAULT_MISSED_AFTER,
    default_status: dg.DefaultScheduleStatus | None = None,
) -> list[dg.ScheduleDefinition]:
    """Dagster schedules of the schedules of plugins.yml (how each setting maps: see the
    module). Each is named after its elt schedule (Dagster's characters), with its own job
    ``<name>_job``: an asset job of ``assets`` when one makes the schedule's ``run``,
    else an :func:`elt_job` (or a job of one op). ``environment`` is the one a schedule
    without ``env`` runs in; ``default_status`` Dagster's (default: stopped until turned
    on in the UI).
    """
    opened = _open(project, environment)
    return [
        _schedule(opened, spec, assets, missed_after, default_status) for spec in opened.schedules
    ]


def elt_definitions(
    project: ProjectLike,
    *,
    assets: Sequence[dg.AssetsDefinition] = (),
    environment: str | None = None,
    missed_after: timedelta = DEFAULT_MISSED_AFTER,
    default_status: dg.DefaultScheduleStatus | None = None,
) -> dg.Definitions:
    """``Definitions`` of ``assets`` (:func:`elt_assets`) and the project's schedules
    (:func:`elt_schedules`, with their jobs): what a code location's module exposes."""
    schedules = elt_schedules(
        project,
        assets=assets,
        environment=environment,
        missed_after=missed_after,
        default_status=default_status,
    )
    return dg.Definitions(assets=list(assets), schedules=schedules)


# --- schedules ----------------------------------------------------------------------------


def _schedule(
    base: Project,
    spec: Any,
    assets: Sequence[dg.AssetsDefinition],
    missed_after: timedelta,
    default_status: dg.DefaultScheduleStatus | None,
) -> dg.ScheduleDefinition:
    project = _open(base, spec.env)
    name = _identifier(spec.name)
    job_name = f"{name}_job"
    policy = (
        dg.RetryPolicy(
            max_retries=spec.retries, delay=spec.retry_delay, backoff=dg.Backoff.EXPONENTIAL
        )
        if spec.retries
        else None
    )
    job: Any
    if spec.job is not None:
        job = elt_job(project, spec.job, name=job_name, retry_policy=policy)
    else:
        task = " ".join(spec.run.split())
        keys = _assets_of(assets, project, task)
        if keys:
            job = dg.define_asset_job(
                job_name,
                selection=dg.AssetSelection.assets(*keys),
                op_retry_policy=policy,
                description=f"elt schedule {spec.name}: run {task}",
            )
        else:
            job = _run_job(project, task, job_name, policy)
    skip_missed = str(spec.catch_up) == "skip"

    def evaluate(context: dg.ScheduleEvaluationContext) -> Any:
        scheduled = context.scheduled_execution_time
        if skip_missed and scheduled is not None:
            late = datetime.now(UTC) - scheduled
            if late > missed_after:
                return dg.SkipReason(
                    f"missed the firing at {scheduled.isoformat()} (evaluated "
                    f"{late.total_seconds():.0f} s late); catch_up is skip"
                )
        return dg.RunRequest(tags={SCHEDULE_TAG: spec.name})

    try:
        return dg.ScheduleDefinition(
            name=name,
            cron_schedule=_cron(spec.name, spec.interval),
            execution_timezone=spec.timezone,
            job=job,
            execution_fn=evaluate,
            description=f"elt schedule {spec.name}: {spec.interval} in {spec.timezone}",
            default_status=default_status or dg.DefaultScheduleStatus.STOPPED,
        )
    except dg.DagsterInvalidDefinitionError as error:
        raise ConfigError(
            f"schedule {spec.name}: Dagster cannot take it: {error}",
            hint="Use a plain five-field cron interval",
        ) from error


def _cron(name: str, interval: str) -> str:
    """``interval`` as Dagster's cron: aliases spelled out, a zero seconds field dropped."""
    text = " ".join(interval.split())
    alias = _CRON_ALIASES.get(text.lower())
    if alias is not None:
        return alias
    fields = text.split(" ")
    if len(fields) == 6:
        if fields[5].lstrip("0") == "":
            return " ".join(fields[:5])
        raise ConfigError(
            f'schedule {name}: interval "{interval}" fires at second {fields[5]} of a minute, '
            "and Dagster schedules fire on whole minutes",
            hint="Drop the seconds field, or run this schedule with elt scheduler",
        )
    return text


def _assets_of(assets: Sequence[dg.AssetsDefinition], project: Project, task: str) -> list[Any]:
    """The asset keys of the definitions in ``assets`` that make the run ``task`` in
    ``project``'s environment under its default state id."""
    tap, *_, target = task.split()
    wanted = {
        TASK_KEY: task,
        ENVIRONMENT_KEY: project.environment or "",
        STATE_ID_KEY: project.state_id(tap, target),
    }
    keys: list[Any] = []
    for definition in assets:
        specs = list(definition.specs)
        if all(spec.metadata.get(key) == value for spec in specs for key, value in wanted.items()):
            keys.extend(spec.key for spec in specs)
    return keys


def _run_job(
    project: Project, task: str, name: str, policy: dg.RetryPolicy | None
) -> dg.JobDefinition:
    step = _task_op(project, task, _op_name(task), job=None, retry_policy=policy)

    def compose() -> None:
        step()

    return dg.job(name=name, description=f"elt run {task}")(compose)


def _task_op(
    project: Project,
    task: str,
    name: str,
    *,
    job: str | None,
    executor: str | None = None,
    retry_policy: dg.RetryPolicy | None = None,
) -> dg.OpDefinition:
    def body(context: dg.OpExecutionContext) -> None:
        def start(progress: Callable[[RunProgress], None]) -> RunResult:
            return project.run_task(
                task,
                executor=executor,
                progress=progress,
                progress_interval=PROGRESS_INTERVAL,
                check=False,
                job=job,
                schedule=context.run.tags.get(SCHEDULE_TAG),
            )

        result = _run(context, start)
        context.add_output_metadata(_metadata(result))

    return dg.op(
        name=name,
        description=f"elt run {task}",
        ins={"after": dg.In(dg.Nothing)},
        out=dg.Out(dg.Nothing),
        retry_policy=retry_policy,
        tags={TASK_KEY: task},
    )(body)


def _in_order(waits: Sequence[frozenset[int]]) -> list[int]:
    """Task indices so that each comes after the tasks it waits for (plugins.yml has
    refused a cycle already); ties in the job's order."""
    order: list[int] = []
    while len(order) < len(waits):
        order.extend(
            index for index, needs in enumerate(waits) if index not in order and needs <= set(order)
        )
    return order


# --- runs ---------------------------------------------------------------------------------


def _run(context: Any, start: Callable[[Callable[[RunProgress], None]], RunResult]) -> RunResult:
    """Start a run with a progress callback that logs to the step; a failure becomes the
    step's :class:`dagster.Failure`."""
    try:
        result = start(_progress_log(context))
    except EltError as error:  # before a run started: bad plugin name, config key, lock
        raise _failure(error, None) from error
    if result.error is not None:
        raise _failure(result.error, result) from result.error
    total = sum(result.rows.values())
    context.log.info(
        f"elt run {result.run_id}: {total} rows ({result.rows_kind or 'not counted'}) in "
        f"{result.duration:.1f} s, state id {result.state_id}"
    )
    return result


def _failure(error: EltError, result: RunResult | None) -> dg.Failure:
    """``error``'s paragraph as the step's failure; only a retriable one may be retried."""
    metadata: dict[str, Any] = {
        "error": type(error).__name__,
        "exit_code": error.exit_code,
        "retriable": error.retriable,
    }
    if result is not None:
        metadata.update(_metadata(result))
    elif error.run_id is not None:
        metadata["run_id"] = error.run_id
    return dg.Failure(description=str(error), metadata=metadata, allow_retries=error.retriable)


def _metadata(result: RunResult, stream: str | None = None) -> dict[str, Any]:
    """What a materialization (``stream``'s rows) or an op's output (rows per stream) says
    of the run."""
    rows: Any = (
        dg.MetadataValue.int(result.rows.get(stream, 0))
        if stream is not None
        else dg.MetadataValue.json(dict(result.rows))
    )
    return {
        "rows": rows,
        "rows_kind": dg.MetadataValue.text(result.rows_kind or "unknown"),
        "run_id": result.run_id,
        "state_id": result.state_id,
        "status": result.status.value,
        "duration_seconds": round(result.duration, 3),
        "log_path": dg.MetadataValue.path(str(result.log_path)),
    }


def _progress_log(context: Any) -> Callable[[RunProgress], None]:
    def report(progress: RunProgress) -> None:
        if progress.done:
            return  # the run's summary says it
        streams = ", ".join(f"{s.stream} {s.rows} rows" for s in progress.streams)
        attempt = f", attempt {progress.attempt}" if progress.attempt > 1 else ""
        context.log.info(
            f"elt {progress.tap} -> {progress.target}: {streams or 'starting'} "
            f"after {progress.elapsed:.0f} s{attempt}"
        )

    return report


# --- helpers ------------------------------------------------------------------------------


def _open(project: ProjectLike, environment: str | None) -> Project:
    if isinstance(project, Project):
        if environment is None or environment == project.environment:
            return project
        return Project.open(project.root, environment=environment)
    return Project.open(project, environment=environment)


def _check_selected(project: Project, tap: str, declared: Sequence[str]) -> None:
    selected = project.streams(tap)
    missing = [stream for stream in declared if stream not in selected]
    if missing:
        raise ConfigError(
            f"{tap} does not select {', '.join(missing)}: the run would not load "
            f"{'it' if len(missing) == 1 else 'them'}",
            hint=f"Select it in plugins.yml, or drop it from streams= ({tap} selects "
            f"{', '.join(selected) or 'nothing'})",
        )


def _identifier(text: str) -> str:
    """``text`` in the characters Dagster allows in names (letters, digits, ``_``)."""
    name = _NOT_A_NAME.sub("_", text)
    return name if name[:1].isalpha() or name[:1] == "_" else f"_{name}"


def _op_name(task: str) -> str:
    """The op of a run of ``task`` (``TAP [MAPPER...] TARGET``): ``tap_csv__target_postgres``."""
    return "__".join(_identifier(block) for block in task.split())


def _unique_names(texts: Sequence[str]) -> list[str]:
    """A distinct Dagster name for each of ``texts``, in order."""
    names: list[str] = []
    for text in texts:
        name, number = _identifier(text), 2
        while name in names:
            name, number = f"{_identifier(text)}_{number}", number + 1
        names.append(name)
    return names
