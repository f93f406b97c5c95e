from __future__ import annotations

import pytest
from pydantic import ValidationError

from elt.project.model import (
    JobSpec,
    PluginKind,
    check_executor,
    env_prefix,
    setting_variable,
    valid_plugin_name,
    valid_setting_name,
)


def test_each_kind_has_a_plural_section_in_plugins_yml() -> None:
    assert [kind.section for kind in PluginKind] == ["taps", "targets", "mappers"]


def test_setting_variable_upper_cases_and_replaces_dashes_and_dots() -> None:
    assert setting_variable("tap-csv", "port") == "TAP_CSV_PORT"
    assert setting_variable("target.pg", "aws.region-name") == "TARGET_PG_AWS_REGION_NAME"
    assert env_prefix("tap-csv") == "TAP_CSV"


@pytest.mark.parametrize("name", ["tap-csv", "target_pg.v2", "0tap"])
def test_plugin_names_of_letters_digits_dots_dashes_are_valid(name: str) -> None:
    assert valid_plugin_name(name) == name


@pytest.mark.parametrize("name", ["../escape", "a/b", "-dash", "with space", ""])
def test_plugin_names_that_could_escape_a_directory_are_refused(name: str) -> None:
    with pytest.raises(ValueError, match="invalid plugin name"):
        valid_plugin_name(name)


def test_setting_names_may_not_start_with_a_digit() -> None:
    assert valid_setting_name("aws.region") == "aws.region"
    with pytest.raises(ValueError, match="invalid setting name"):
        valid_setting_name("1port")


def test_a_job_task_waits_for_the_one_before_it_unless_depends_on_says_otherwise() -> None:
    tasks = ["tap-a target-x", "tap-b target-x", "tap-c target-x"]
    assert JobSpec(name="j", tasks=tasks).waits() == [frozenset(), {0}, {1}]
    job = JobSpec(name="j", tasks=tasks, depends_on={"tap-b target-x": [], "tap-c target-x": []})
    assert job.waits() == [frozenset(), frozenset(), frozenset()]


@pytest.mark.parametrize(
    ("depends_on", "problem"),
    [
        ({"tap-z target-x": []}, 'names "tap-z target-x", which is not a task'),
        ({"tap-a target-x": ["tap-b target-x"]}, "wait for each other"),
    ],
)
def test_depends_on_names_tasks_of_the_job_without_a_circle(
    depends_on: dict[str, list[str]], problem: str
) -> None:
    with pytest.raises(ValidationError, match=problem):
        JobSpec(name="j", tasks=["tap-a target-x", "tap-b target-x"], depends_on=depends_on)


@pytest.mark.parametrize("value", ["local", "local:4", "tcp://scheduler:8786", "tls://10.0.0.1"])
def test_executors_are_local_or_a_dask_scheduler_address(value: str) -> None:
    assert check_executor(value) == value


@pytest.mark.parametrize("value", ["locale", "local:0", "http://x:1", "tcp://", "dask"])
def test_other_executors_are_refused_saying_what_to_use(value: str) -> None:
    with pytest.raises(ValueError, match="use local, local:N"):
        check_executor(value)
