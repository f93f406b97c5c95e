from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from elt.errors import ProjectError
from elt.project.loader import load_project

WriteProject = Callable[..., Path]


def load_error(root: Path) -> str:
    with pytest.raises(ProjectError) as raised:
        load_project(root, environ={})
    return str(raised.value)


def test_a_duplicate_plugin_name_points_at_the_second_one(write_project: WriteProject) -> None:
    root = write_project(
        "plugins:\n  taps:\n    - name: tap-csv\n    - name: tap-csv\n      pip_url: x\n"
    )
    assert load_error(root) == (
        'plugins.taps[1].name: duplicate plugin name "tap-csv", first at plugins.taps[0] '
        "(plugins.yml:4)"
    )


def test_a_tap_and_a_target_may_not_share_a_name(write_project: WriteProject) -> None:
    root = write_project("plugins:\n  taps:\n    - name: pg\n  targets:\n    - name: pg\n")
    assert load_error(root).startswith('plugins.targets[0].name: duplicate plugin name "pg"')


def test_names_that_share_a_variable_prefix_are_refused(write_project: WriteProject) -> None:
    root = write_project("plugins:\n  taps:\n    - name: tap-csv\n    - name: tap.csv\n")
    assert load_error(root) == (
        'plugins.taps[1].name: "tap.csv" and "tap-csv" (plugins.taps[0]) share the settings '
        "variable prefix TAP_CSV_ (plugins.yml:4). Rename one of them"
    )


def test_an_unknown_inherit_from_suggests_a_close_name(write_project: WriteProject) -> None:
    root = write_project(
        "plugins:\n  taps:\n    - name: tap-csv\n    - name: tap-sales\n      inherit_from: tap-cvs\n"
    )
    assert load_error(root) == (
        'plugins.taps[1].inherit_from: unknown tap "tap-cvs" (plugins.yml:5). '
        'Did you mean "tap-csv"?'
    )


def test_inherit_from_a_plugin_of_another_kind_is_refused(write_project: WriteProject) -> None:
    root = write_project(
        "plugins:\n  taps:\n    - name: tap-csv\n  targets:\n"
        "    - name: target-x\n      inherit_from: tap-csv\n"
    )
    assert load_error(root) == (
        'plugins.targets[0].inherit_from: "tap-csv" is a tap; a target can only inherit from a '
        "target (plugins.yml:6)"
    )


def test_an_inheritance_cycle_is_reported_once(write_project: WriteProject) -> None:
    root = write_project(
        """\
        plugins:
          taps:
            - name: tap-a
              inherit_from: tap-b
            - name: tap-b
              inherit_from: tap-a
        """
    )
    assert load_error(root) == (
        "plugins.taps[0].inherit_from: inheritance cycle: tap-a -> tap-b -> tap-a (plugins.yml:4)"
    )


def test_a_duplicate_setting_declaration_is_refused(write_project: WriteProject) -> None:
    root = write_project(
        "plugins:\n  taps:\n    - name: t\n      settings: [{name: port}, {name: port}]\n"
    )
    assert load_error(root) == (
        'plugins.taps[0].settings[1].name: duplicate setting name "port" (plugins.yml:4)'
    )


def test_an_environment_must_name_a_declared_plugin(write_project: WriteProject) -> None:
    root = write_project(
        """\
        plugins:
          targets:
            - name: target-postgres
        environments:
          - name: dev
            plugins:
              targets:
                - name: target-postgre
        """
    )
    assert load_error(root) == (
        'environments[0].plugins.targets[0].name: unknown target "target-postgre" '
        '(plugins.yml:8). Did you mean "target-postgres"?'
    )


def test_the_default_environment_must_exist(write_project: WriteProject) -> None:
    root = write_project("default_environment: prod\nenvironments:\n  - name: dev\n")
    assert load_error(root) == (
        'default_environment: unknown environment "prod" (plugins.yml:1). '
        "Declare it under environments:"
    )


def test_environment_names_are_unique(write_project: WriteProject) -> None:
    root = write_project("environments:\n  - name: dev\n  - name: dev\n")
    assert load_error(root) == (
        'environments[1].name: duplicate environment name "dev" (plugins.yml:3)'
    )


def test_environment_config_is_checked_against_the_plugin_settings(
    write_project: WriteProject,
) -> None:
    root = write_project(
        """\
        plugins:
          taps:
            - name: tap-csv
              settings: [{name: port, kind: integer}]
        environments:
          - name: dev
            plugins:
              taps:
                - name: tap-csv
                  config: {port: "x"}
        """
    )
    assert load_error(root) == (
        'environments[0].plugins.taps[0].config.port: expected integer, got "x" (plugins.yml:10)'
    )


def test_a_setting_default_is_checked_against_its_kind(write_project: WriteProject) -> None:
    root = write_project(
        "plugins:\n  taps:\n    - name: t\n"
        "      settings: [{name: on, kind: boolean, default: maybe}]\n"
    )
    assert load_error(root) == (
        'plugins.taps[0].settings[0].default: expected boolean, got "maybe" (plugins.yml:4)'
    )


def test_a_child_config_is_typed_by_settings_declared_on_the_parent(
    write_project: WriteProject,
) -> None:
    root = write_project(
        """\
        plugins:
          taps:
            - name: tap-csv
              settings: [{name: port, kind: integer}]
            - name: tap-sales
              inherit_from: tap-csv
              config: {port: "7"}
        """
    )
    assert load_project(root, environ={}).plugin("tap-sales").config == {"port": 7}
