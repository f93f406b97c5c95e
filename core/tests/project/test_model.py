from __future__ import annotations

import pytest

from elt.project.model import (
    PluginKind,
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
