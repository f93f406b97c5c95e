"""The shape of ``plugins.yml``, as pydantic models.

``plugins.yml`` names the plugins a project uses, how to install them, and their
configuration::

    version: 1
    default_environment: dev            # optional; must name an environment below
    plugins:
      taps:
        - name: tap-csv
          pip_url: ./taps/tap-csv       # pip requirement(s): a PyPI name, local path or git URL
          executable: tap-csv           # default: the plugin name (or the parent's executable)
          config: {files: [...]}        # JSON-able values; strings may use ${VAR} / ${VAR:-default}
          select: ["users.*", "!users.password"]
          metadata: {users: {replication-method: INCREMENTAL, replication-key: updated_at}}
          settings:                     # optional declared settings; they type the config values
            - {name: port, kind: integer}
            - {name: password, kind: password}
        - name: tap-csv-sales
          inherit_from: tap-csv         # inherits everything; own keys override, config deep-merged
      targets: [...]
      mappers: [...]
    environments:
      - name: dev
        env: {PGHOST: localhost}        # environment variables for plugin processes
        plugins:
          targets:
            - name: target-postgres
              config: {database: dev}   # deep-merged over the plugin's config when dev is active
    find_links: [wheels]                      # optional; wheelhouses every install looks in
    index_url: https://pypi.example.org/simple # optional; an index looked in before the default
    executor: tcp://scheduler:8786            # optional; where runs run: local (default), local:N
    state_backend: s3://my-bucket/elt/state   # optional; default .elt/state (see elt.state)
    state_backend_settings: {region: eu-west-1}
    system_database: postgresql://elt@db/elt  # optional; run history, default .elt/system.db
    alerts:                                   # optional; after each run (see elt.run.alerts)
      - {on: [failure, slow], webhook: "${SLACK_WEBHOOK}", slow_factor: 3}
      - {on: [failure], command: "mail -s 'elt failed' ops@example.com"}
    jobs:                                     # optional; named sequences of runs
      - {name: nightly, tasks: ["tap-csv target-postgres", "tap-http hash-emails target-files"]}
    schedules:                                # optional; what `elt scheduler` starts, and when
      - {name: nightly, job: nightly, interval: "0 3 * * *", env: prod, retries: 2}
      - {name: hourly-csv, run: "tap-csv target-postgres", interval: "@hourly", catch_up: skip}

Every model forbids unknown keys, so a typo (``pip_ulr``) is an error with its line rather
than a silently ignored setting. Checks that span several entries (unique names, that
``inherit_from`` names a plugin of the same kind, that environments name declared plugins)
live in :mod:`elt.project.checks`, because they need the whole file to say what is wrong;
so do the checks that a job's tasks and a schedule's ``run`` name plugins that exist, in
their places (a tap first, a target last, mappers between).
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    WithJsonSchema,
    field_validator,
    model_validator,
)

__all__ = [
    "AlertEvent",
    "AlertSpec",
    "CatchUp",
    "EnvironmentPluginSpec",
    "EnvironmentPlugins",
    "EnvironmentSpec",
    "JobSpec",
    "Manifest",
    "PluginKind",
    "PluginSpec",
    "Plugins",
    "ScheduleSpec",
    "SettingKind",
    "SettingSpec",
    "StateBackendSettings",
    "blocks_of",
    "check_executor",
    "env_prefix",
    "setting_variable",
    "valid_plugin_name",
    "valid_setting_name",
]

_PLUGIN_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_SETTING_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*")
_ENV_VAR = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_NOT_ALNUM = re.compile(r"[^A-Za-z0-9]")


class PluginKind(StrEnum):
    """What a plugin does in a pipeline; each kind has its own list under ``plugins:``."""

    TAP = "tap"
    TARGET = "target"
    MAPPER = "mapper"

    @property
    def section(self) -> str:
        """The key of this kind's list in plugins.yml (``taps``, ``targets``, ``mappers``)."""
        return f"{self.value}s"


SECTIONS: tuple[str, ...] = tuple(kind.section for kind in PluginKind)


def env_prefix(name: str) -> str:
    """``tap-csv`` -> ``TAP_CSV``: a name as it appears in environment variable names."""
    return _NOT_ALNUM.sub("_", name).upper()


def setting_variable(plugin: str, setting: str) -> str:
    """The environment variable that overrides a setting: ``TAP_CSV_PORT``.

    The singer-sdk convention (``<PLUGIN>_<SETTING>``, upper case, other characters as
    ``_``), so a variable set for a plugin run under elt also works when it runs alone.
    """
    return f"{env_prefix(plugin)}_{env_prefix(setting)}"


class SettingKind(StrEnum):
    """The type of a declared setting; config values are checked and coerced against it."""

    STRING = "string"
    INTEGER = "integer"
    NUMBER = "number"
    BOOLEAN = "boolean"
    PASSWORD = "password"
    OBJECT = "object"
    ARRAY = "array"
    DATE_ISO8601 = "date_iso8601"
    FILE = "file"


def valid_plugin_name(value: str) -> str:
    """Return ``value`` if it can name a plugin or an environment; raise ValueError if not.

    Names become directory names (virtualenvs, state) and variable prefixes, so path
    separators, ``..`` and spaces are refused here rather than escaped everywhere else.
    """
    if not _PLUGIN_NAME.fullmatch(value):
        raise ValueError(
            f'invalid plugin name "{value}"; use letters, digits, ".", "_" and "-", '
            "starting with a letter or digit"
        )
    return value


def valid_setting_name(value: str) -> str:
    """Return ``value`` if it can name a declared setting; raise ValueError if not."""
    if not _SETTING_NAME.fullmatch(value):
        raise ValueError(
            f'invalid setting name "{value}"; use letters, digits, "_", "." and "-", '
            "starting with a letter or _"
        )
    return value


def _env_name(value: str) -> str:
    if not _ENV_VAR.fullmatch(value):
        raise ValueError(f'invalid environment variable name "{value}"')
    return value


PluginName = Annotated[
    str,
    AfterValidator(valid_plugin_name),
    Field(json_schema_extra={"pattern": f"^{_PLUGIN_NAME.pattern}$"}),
]
SettingName = Annotated[
    str,
    AfterValidator(valid_setting_name),
    Field(json_schema_extra={"pattern": f"^{_SETTING_NAME.pattern}$"}),
]
EnvVarName = Annotated[str, AfterValidator(_env_name)]
# numbers and booleans are written as text (see EnvironmentSpec), so editors accept them too
EnvValue = Annotated[str, WithJsonSchema({"type": ["string", "number", "boolean"]})]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SettingSpec(_Model):
    """A declared setting: gives a config value its type, a default, and secrecy."""

    name: SettingName
    kind: SettingKind = Field(
        SettingKind.STRING, description="Type of the value; config values are coerced to it."
    )
    secret: bool | None = Field(
        None,
        description="Redact the value in output and store it in .env. Default: true for kind "
        "password and for names like password, token, secret, api_key.",
    )
    default: Any = Field(None, description="Value used when no other source sets one.")
    description: str | None = None
    required: bool = Field(False, description="A run fails before starting if it has no value.")


class PluginSpec(_Model):
    """One plugin as written in plugins.yml; unset fields come from ``inherit_from``."""

    name: PluginName = Field(description="Unique across all plugins of the project.")
    inherit_from: PluginName | None = Field(
        None, description="A plugin of the same kind to start from; own keys override."
    )
    pip_url: str | None = Field(
        None,
        description="pip requirement(s) to install it: a PyPI name, a local path or a git URL. "
        "Default: the parent's, else the plugin name.",
    )
    executable: str | None = Field(
        None, description="Command to run. Default: the parent's, else the plugin name."
    )
    config: dict[str, Any] = Field(
        default_factory=dict,
        description="Setting values. Strings may use ${VAR} and ${VAR:-default}; $$ is a "
        "literal $.",
    )
    select: list[str] | None = Field(
        None, description='Stream/property patterns to extract, e.g. "users.*", "!users.password".'
    )
    metadata: dict[str, dict[str, Any]] = Field(
        default_factory=dict, description="Catalog metadata per stream (replication-method, ...)."
    )
    settings: list[SettingSpec] = Field(default_factory=list)


class Plugins(_Model):
    """The ``plugins:`` block: one list per plugin kind."""

    taps: list[PluginSpec] = Field(default_factory=list)
    targets: list[PluginSpec] = Field(default_factory=list)
    mappers: list[PluginSpec] = Field(default_factory=list)

    def of(self, kind: PluginKind) -> list[PluginSpec]:
        """The plugins of one kind, in file order."""
        specs: list[PluginSpec] = getattr(self, kind.section)
        return specs


class EnvironmentPluginSpec(_Model):
    """Per-environment overrides for one declared plugin."""

    name: PluginName
    config: dict[str, Any] = Field(
        default_factory=dict,
        description="Deep-merged over the plugin's config while this environment is active.",
    )


class EnvironmentPlugins(_Model):
    """The ``plugins:`` block of an environment, by kind like the top-level one."""

    taps: list[EnvironmentPluginSpec] = Field(default_factory=list)
    targets: list[EnvironmentPluginSpec] = Field(default_factory=list)
    mappers: list[EnvironmentPluginSpec] = Field(default_factory=list)

    def of(self, kind: PluginKind) -> list[EnvironmentPluginSpec]:
        """The overrides for plugins of one kind, in file order."""
        specs: list[EnvironmentPluginSpec] = getattr(self, kind.section)
        return specs


class EnvironmentSpec(_Model):
    """A named deployment context (dev, prod) with its own variables and config overrides."""

    name: PluginName
    env: dict[EnvVarName, EnvValue] = Field(
        default_factory=dict, description="Environment variables set for plugin processes."
    )
    plugins: EnvironmentPlugins = Field(default_factory=EnvironmentPlugins)
    executor: Executor | None = Field(
        None, description="Where runs in this environment run (see the top-level executor)."
    )

    @field_validator("env", mode="before")
    @classmethod
    def _scalars_as_text(cls, value: object) -> object:
        """Let ``PGPORT: 5432`` stand for the string an environment variable must be."""
        if not isinstance(value, dict):
            return value
        return {key: _env_text(item) for key, item in value.items()}


def _env_text(value: object) -> object:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return value


class StateBackendSettings(_Model):
    """Options of the state backend; each says which backends it applies to.

    Credentials belong in the environment (the AWS chain, ``GOOGLE_APPLICATION_CREDENTIALS``,
    ``AZURE_STORAGE_CONNECTION_STRING``) or in ``${VAR}`` references, never in the file.
    """

    lease_seconds: float | None = Field(
        default=None,
        gt=0,
        description="Remote backends: how long a run's lock outlives a holder that stopped "
        "renewing it (a run that died). Default: 60.",
    )
    endpoint_url: str | None = Field(
        default=None, description="s3:// and gs://: a custom endpoint (MinIO, an emulator)."
    )
    region: str | None = Field(default=None, description="s3://: the bucket's region.")
    connection_string: str | None = Field(
        default=None,
        description="azure://: the storage account's connection string. Default: "
        "AZURE_STORAGE_CONNECTION_STRING. Use ${VAR}: it holds the account key.",
    )
    schema_name: str | None = Field(
        default=None,
        alias="schema",
        description="postgresql://: the schema of the elt_state and elt_state_lock tables. "
        "Default: public.",
    )


class AlertEvent(StrEnum):
    """What ends a run that an alert can be sent for."""

    FAILURE = "failure"
    SUCCESS = "success"
    SLOW = "slow"


class AlertSpec(_Model):
    """One alert: a webhook to POST the run's summary to, or a command to pipe it into."""

    on: list[AlertEvent] = Field(
        default_factory=lambda: [AlertEvent.FAILURE],
        min_length=1,
        description="When to send it: failure (a run failed after its last retry), success, "
        "slow (a successful run that took more than slow_factor times the median of the "
        "last successful runs of its state id).",
    )
    webhook: str | None = Field(
        None,
        description="URL to POST a JSON payload to (Slack-compatible text field plus the "
        "run's fields). Use ${VAR}: such URLs usually hold a token.",
    )
    command: str | None = Field(
        None,
        description="Shell command run with the JSON payload on stdin and ELT_RUN_* "
        "environment variables.",
    )
    slow_factor: float = Field(
        3.0, gt=1, description="For slow: how many times the median duration counts as slow."
    )
    timeout: float = Field(10.0, gt=0, description="Seconds a webhook request or command may take.")

    @model_validator(mode="after")
    def _has_a_destination(self) -> AlertSpec:
        if self.webhook is None and self.command is None:
            raise ValueError("an alert needs a webhook or a command")
        return self


def blocks_of(task: str) -> list[str]:
    """``"tap-csv hash-emails target-postgres"`` -> its plugin names, in pipeline order."""
    return task.split()


def _task(value: str) -> str:
    blocks = blocks_of(value)
    if len(blocks) < 2:
        raise ValueError(f'"{value}" must name a tap and a target: "TAP [MAPPER...] TARGET"')
    for name in blocks:
        valid_plugin_name(name)
    return " ".join(blocks)


def _interval(value: str) -> str:
    from croniter import croniter  # ~40 ms, only for projects with schedules

    if not croniter.is_valid(value):
        raise ValueError(
            f'"{value}" is not a cron expression: use five fields (minute hour day month '
            "weekday), six with seconds last, or @hourly, @daily, @weekly, @monthly, @yearly"
        )
    return value


def _time_zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f'"{value}" is not a time zone: use an IANA name like UTC, Europe/Berlin or '
            "America/New_York"
        ) from None
    return value


def check_executor(value: str) -> str:
    """``local``, ``local:N`` (N units at a time on this machine) or a Dask scheduler's
    ``tcp://HOST:PORT`` / ``tls://HOST:PORT``; raises ValueError saying so otherwise."""
    if "${" in value:  # checked once interpolated
        return value
    scheme, _, rest = value.partition("://")
    if value == "local" or (value.startswith("local:") and value[6:].isdigit() and int(value[6:])):
        return value
    if scheme in ("tcp", "tls") and re.fullmatch(r"[^\s/:]+(:[0-9]{1,5})?", rest):
        return value
    raise ValueError(
        f'"{value}" is not an executor: use local, local:N (N units at a time here) or a Dask '
        "scheduler address, tcp://HOST:8786 or tls://HOST:8786"
    )


Executor = Annotated[str, AfterValidator(check_executor)]
Task = Annotated[str, AfterValidator(_task)]
Interval = Annotated[str, AfterValidator(_interval)]
TimeZone = Annotated[str, AfterValidator(_time_zone)]


class JobSpec(_Model):
    """A named sequence of runs, each the blocks of one ``elt run``.

    Each task waits for the one before it, unless ``depends_on`` says what it waits for
    (``[]``: nothing); a task whose dependency failed does not run. On an executor other
    than local, tasks that do not wait for each other run at the same time.
    """

    name: PluginName
    tasks: list[Task] = Field(
        min_length=1,
        description='Runs in order, each "TAP [MAPPER...] TARGET", e.g. "tap-csv target-postgres".',
    )
    depends_on: dict[Task, list[Task]] = Field(
        default_factory=dict,
        description="What a task waits for, by task: [] for nothing (it runs beside the others "
        "on a cluster executor). A task not listed waits for the task before it.",
    )

    @model_validator(mode="after")
    def _known_acyclic(self) -> JobSpec:
        if self.depends_on and len(set(self.tasks)) != len(self.tasks):
            raise ValueError("with depends_on, each task of a job must be distinct")
        for task, needs in self.depends_on.items():
            for name in (task, *needs):
                if name not in self.tasks:
                    raise ValueError(f'depends_on names "{name}", which is not a task of the job')
        self.waits()  # raises on a cycle
        return self

    def waits(self) -> list[frozenset[int]]:
        """For each task (by index), the indices of the tasks it waits for; raises
        ValueError when they wait for each other in a circle."""
        index = {task: number for number, task in enumerate(self.tasks)}
        waits = [
            frozenset(index[n] for n in self.depends_on[task])
            if task in self.depends_on
            else frozenset({number - 1} if number else ())
            for number, task in enumerate(self.tasks)
        ]
        done: set[int] = set()
        while len(done) < len(waits):
            ready = {n for n, w in enumerate(waits) if n not in done and w <= done}
            if not ready:
                stuck = ", ".join(f'"{self.tasks[n]}"' for n in range(len(waits)) if n not in done)
                raise ValueError(f"depends_on makes these tasks wait for each other: {stuck}")
            done |= ready
        return waits


class CatchUp(StrEnum):
    """What a schedule does about the firings it missed while no scheduler was running."""

    SKIP = "skip"
    ONCE = "once"


class ScheduleSpec(_Model):
    """When ``elt scheduler`` starts a job or a run, in which environment, with what retries."""

    name: PluginName
    job: PluginName | None = Field(None, description="The job to run (or use run).")
    run: Task | None = Field(
        None, description='The blocks of one run (or use job): "TAP [MAPPER...] TARGET".'
    )
    interval: Interval = Field(
        description='A cron expression ("0 3 * * *", seconds as a 6th field) or @hourly, '
        "@daily, @weekly, @monthly, @yearly; read in timezone."
    )
    timezone: TimeZone = Field(
        "UTC",
        description="The IANA time zone the interval is read in (Europe/Berlin). With daylight "
        "saving time a firing in the skipped hour runs right after it, and a fixed hour fires "
        "once in the repeated one.",
    )
    env: PluginName | None = Field(
        None, description="The environment to run in. Default: default_environment."
    )
    retries: int = Field(0, ge=0, description="Retries of a failure a retry can fix.")
    retry_delay: float = Field(
        10.0, ge=0, description="Seconds before the first retry; doubled for each next one."
    )
    catch_up: CatchUp = Field(
        CatchUp.ONCE,
        description="After downtime: once runs a missed firing once at start, skip waits for "
        "the next firing.",
    )

    @model_validator(mode="after")
    def _job_or_run(self) -> ScheduleSpec:
        if (self.job is None) == (self.run is None):
            raise ValueError("a schedule needs exactly one of job and run")
        return self


class Manifest(_Model):
    """The whole of plugins.yml, validated."""

    model_config = ConfigDict(title="elt project (plugins.yml)")

    version: Literal[1] = Field(1, description="Format version of this file.")
    default_environment: PluginName | None = Field(
        None, description="Environment used when neither --environment nor ELT_ENVIRONMENT is set."
    )
    plugins: Plugins = Field(default_factory=Plugins)
    environments: list[EnvironmentSpec] = Field(default_factory=list)
    find_links: list[str] = Field(
        default_factory=list,
        description="Wheelhouses (directories, relative to the project, or URLs) every plugin "
        "install looks in, e.g. the dist/ of `make dist`. ELT_FIND_LINKS (space-separated) "
        "replaces them.",
    )
    index_url: str | None = Field(
        None,
        description="A package index (PEP 503 simple URL) looked in before the default one: "
        "where elt's own distributions are published. ELT_INDEX_URL replaces it. Use ${VAR} "
        "for a password in it.",
    )
    state_backend: str | None = Field(
        None,
        description="Where run bookmarks are kept: unset for .elt/state in the project, "
        "file://PATH, s3://BUCKET/PREFIX, gs://BUCKET/PREFIX, azure://CONTAINER/PREFIX or "
        "postgresql://USER@HOST/DATABASE. Strings may use ${VAR} for credentials.",
    )
    state_backend_settings: StateBackendSettings = Field(default_factory=StateBackendSettings)
    system_database: str | None = Field(
        None,
        description="Where run history is kept: unset for .elt/system.db (SQLite) in the "
        "project, sqlite:///PATH (relative to the project; sqlite:////PATH absolute) or "
        "postgresql://USER@HOST/DATABASE. Strings may use ${VAR} for credentials.",
    )
    executor: Executor | None = Field(
        None,
        description="Where runs run: local (one pipe on this machine, the default), local:N "
        "(streams and partitions as units, N at a time here) or a Dask scheduler, "
        "tcp://HOST:8786 or tls://HOST:8786. --executor and ELT_EXECUTOR win over it, an "
        "environment's executor too.",
    )
    alerts: list[AlertSpec] = Field(
        default_factory=list, description="Webhooks and commands told when runs end."
    )
    jobs: list[JobSpec] = Field(
        default_factory=list, description="Named sequences of runs, for schedules and elt job."
    )
    schedules: list[ScheduleSpec] = Field(
        default_factory=list, description="Jobs and runs that elt scheduler starts on a cron."
    )

    @field_validator("find_links", mode="before")
    @classmethod
    def _one_or_more(cls, value: object) -> object:
        """``find_links: dist`` is a list of one."""
        return [value] if isinstance(value, str) else value

    def job(self, name: str) -> JobSpec | None:
        """The job with this name, or None."""
        return next((job for job in self.jobs if job.name == name), None)

    def schedule(self, name: str) -> ScheduleSpec | None:
        """The schedule with this name, or None."""
        return next((spec for spec in self.schedules if spec.name == name), None)
