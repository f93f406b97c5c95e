"""Running pipelines: a tap piped into a target, with the bookmark kept in a state store.

``run`` talks to plugins only through processes, pipes and the Singer protocol: it starts
executables with ``--config``/``--catalog``/``--state`` files (:mod:`elt.run.invoker`,
:mod:`elt.run.catalog`), wires them with an OS pipe and stores the states the target
emits (:mod:`elt.run.runner`), logs their stderr (:mod:`elt.run.logs`), and stops them in
order on failure or on a signal (:mod:`elt.run.process`, :mod:`elt.run.signals`). Before
a run it installs the plugins that cannot run yet (:mod:`elt.run.provision`); ``elt invoke``
runs one plugin by hand with the same config file (:mod:`elt.run.invoke`).

Each run is recorded in the run history (:mod:`elt.run.record`, with rows counted from the
plugins' METRIC lines by :mod:`elt.run.metrics`); :func:`run_with_retries` retries what a
retry can fix (:mod:`elt.run.retry`) and then sends the project's alerts
(:mod:`elt.run.alerts`); :func:`run_tasks` runs a job's tasks in order, stopping at the
first that fails (:mod:`elt.run.job`). A :class:`RunRequest` (:mod:`elt.run.request`)
carries a run's plugins and options down through all of them.

With an executor (``--executor local:N`` or a Dask scheduler) a run is cut into units
(:mod:`elt.run.split`: one per stream or partition, the state kept until all of a stream's
units committed), each run as a pipe of its own (:mod:`elt.run.units`), then finished once
(:mod:`elt.run.finish`). ``run`` receives its executor; it never imports one but the
local :class:`~elt.run.units.ThreadExecutor`.
"""

from __future__ import annotations

from elt.run.catalog import apply_metadata
from elt.run.invoke import dump_config, invoke_plugin
from elt.run.invoker import Invocation, find_executable, plugin_environment, prepare
from elt.run.job import run_tasks
from elt.run.logs import Redactor
from elt.run.provision import install_missing
from elt.run.record import project_history
from elt.run.request import (
    DEFAULT_STOP_TIMEOUT,
    LOCAL,
    RetryPolicy,
    RunRequest,
    executor_address,
)
from elt.run.retry import run_with_retries
from elt.run.runner import LOG_DIR, RunResult, new_run_id, run_pipeline

__all__ = [
    "DEFAULT_STOP_TIMEOUT",
    "LOCAL",
    "LOG_DIR",
    "Invocation",
    "Redactor",
    "RetryPolicy",
    "RunRequest",
    "RunResult",
    "apply_metadata",
    "dump_config",
    "executor_address",
    "find_executable",
    "install_missing",
    "invoke_plugin",
    "new_run_id",
    "plugin_environment",
    "prepare",
    "project_history",
    "run_pipeline",
    "run_tasks",
    "run_with_retries",
]
