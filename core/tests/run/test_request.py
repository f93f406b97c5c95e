"""RunRequest: one object per run, and where a run runs (its executor address)."""

from __future__ import annotations

from pathlib import Path

import pytest

from elt.errors import ConfigError, UsageError
from elt.project import Project, load_project
from elt.run import LOCAL, RunRequest, executor_address

PLUGINS = """version: 1
plugins:
  taps: [{name: tap-a, executable: /bin/true}]
  targets: [{name: target-b, executable: /bin/true}]
"""


def project(root: Path, extra: str = "", **environ: str) -> Project:
    (root / "plugins.yml").write_text(PLUGINS + extra)
    return load_project(root, environ=environ)


def test_a_request_names_its_plugins_in_pipe_order() -> None:
    request = RunRequest.of(["tap-a", "map-m", "target-b"], full_refresh=True)
    assert request.blocks == ("tap-a", "map-m", "target-b")
    assert request.full_refresh
    with pytest.raises(UsageError, match="name a TAP and a TARGET"):
        RunRequest.of(["tap-a"])


def test_a_job_task_keeps_only_the_overrides_of_its_own_plugins() -> None:
    overrides = {"tap-a": {"x": 1}, "tap-z": {"y": 2}}
    assert RunRequest.task("tap-a target-b", overrides=overrides).overrides == {"tap-a": {"x": 1}}


def test_the_executor_is_the_option_then_the_variable_then_the_environment_then_the_file(
    tmp_path: Path,
) -> None:
    assert executor_address(project(tmp_path), None) == LOCAL
    extra = "executor: local:2\nenvironments: [{name: prod, executor: 'tcp://dask:8786'}]\n"
    assert executor_address(project(tmp_path, extra), None) == "local:2"
    assert executor_address(project(tmp_path, extra), "prod") == "tcp://dask:8786"
    with_variable = project(tmp_path, extra, ELT_EXECUTOR="local:3")
    assert executor_address(with_variable, "prod") == "local:3"
    assert executor_address(with_variable, "prod", "local") == "local"


def test_a_bad_executor_variable_is_a_configuration_error_naming_it(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="ELT_EXECUTOR") as raised:
        executor_address(project(tmp_path, ELT_EXECUTOR="dask"), None)
    assert raised.value.exit_code == 78
