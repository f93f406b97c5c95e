from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from elt.errors import ProjectError
from elt.project.loader import find_project_root, load_project
from elt.project.model import PluginKind

WriteProject = Callable[..., Path]

VALID = """\
    # comments are fine
    version: 1
    default_environment: dev
    plugins:
      taps:
        - name: tap-csv
          pip_url: ./taps/tap-csv
          config:
            files: [users.csv]
            port: "5432"
          select: ["users.*", "!users.password"]
          metadata: {users: {replication-method: INCREMENTAL, replication-key: updated_at}}
          settings:
            - {name: port, kind: integer}
            - {name: password, kind: password}
      targets:
        - name: target-postgres
          config: {database: main}
    environments:
      - name: dev
        env: {PGPORT: 5433, DEBUG: true}
        plugins:
          targets:
            - name: target-postgres
              config: {database: dev}
"""


def load_error(root: Path, environ: dict[str, str] | None = None) -> str:
    with pytest.raises(ProjectError) as raised:
        load_project(root, environ=environ or {})
    return str(raised.value)


def test_a_valid_project_loads_with_typed_config(write_project: WriteProject) -> None:
    project = load_project(write_project(VALID), environ={})
    tap = project.plugin("tap-csv")
    assert tap.kind is PluginKind.TAP
    assert tap.pip_url == "./taps/tap-csv"
    assert tap.config == {"files": ["users.csv"], "port": 5432}
    assert tap.select == ("users.*", "!users.password")
    assert tap.metadata["users"]["replication-key"] == "updated_at"
    assert [p.name for p in project.plugins] == ["tap-csv", "target-postgres"]


def test_environment_variables_in_an_environment_are_text(write_project: WriteProject) -> None:
    project = load_project(write_project(VALID), environ={})
    assert project.manifest.environments[0].env == {"PGPORT": "5433", "DEBUG": "true"}


def test_interpolation_reads_the_process_environment(write_project: WriteProject) -> None:
    root = write_project(
        """\
        plugins:
          taps:
            - name: tap-csv
              config: {host: "${PGHOST}", dsn: "pg://${PGHOST}:${PGPORT:-5432}/db"}
        """
    )
    config = load_project(root, environ={"PGHOST": "db"}).plugin("tap-csv").config
    assert config == {"host": "db", "dsn": "pg://db:5432/db"}


def test_interpolation_falls_back_to_dotenv_without_exporting_it(
    write_project: WriteProject,
) -> None:
    root = write_project(
        "plugins:\n  taps:\n    - name: tap-csv\n      config: {token: '${ELT_TEST_TOKEN_X}'}\n",
        dotenv="ELT_TEST_TOKEN_X=from-dotenv\n",
    )
    assert load_project(root, environ={}).plugin("tap-csv").config == {"token": "from-dotenv"}
    assert "ELT_TEST_TOKEN_X" not in os.environ


def test_the_process_environment_wins_over_dotenv(write_project: WriteProject) -> None:
    root = write_project(
        "plugins:\n  taps:\n    - name: tap-csv\n      config: {host: '${HOST}'}\n",
        dotenv="HOST=dotenv\n",
    )
    project = load_project(root, environ={"HOST": "process"})
    assert project.plugin("tap-csv").config == {"host": "process"}


def test_interpolated_text_is_coerced_to_the_declared_kind(write_project: WriteProject) -> None:
    root = write_project(
        """\
        plugins:
          taps:
            - name: tap-csv
              config: {port: "${PORT}", price: "$$5"}
              settings: [{name: port, kind: integer}]
        """
    )
    assert load_project(root, environ={"PORT": "6543"}).plugin("tap-csv").config == {
        "port": 6543,
        "price": "$5",
    }


def test_a_missing_variable_names_the_path_the_variable_and_the_line(
    write_project: WriteProject,
) -> None:
    root = write_project(
        """\
        plugins:
          targets:
            - name: target-postgres
              config:
                password: ${DB_PASSWORD}
        """
    )
    assert load_error(root) == (
        "plugins.targets[0].config.password: environment variable DB_PASSWORD is not set "
        "(plugins.yml:5). Set it in the environment or in .env, or give a default: "
        "${DB_PASSWORD:-value}"
    )


def test_a_missing_variable_of_a_typed_setting_is_reported_once(
    write_project: WriteProject,
) -> None:
    root = write_project(
        """\
        plugins:
          taps:
            - name: tap-csv
              config: {port: "${PORT}"}
              settings: [{name: port, kind: integer}]
        """
    )
    assert load_error(root).startswith(
        "plugins.taps[0].config.port: environment variable PORT is not set (plugins.yml:4)"
    )


def test_a_wrong_setting_kind_names_the_path_value_and_line(write_project: WriteProject) -> None:
    root = write_project(
        """\
        plugins:
          taps:
            - name: tap-a
            - name: tap-b
            - name: tap-csv
              settings:
                - {name: port, kind: integer}
              config:
                port: abc
        """
    )
    assert load_error(root) == (
        'plugins.taps[2].config.port: expected integer, got "abc" (plugins.yml:9)'
    )


def test_malformed_yaml_names_the_file_and_line(write_project: WriteProject) -> None:
    root = write_project("version: 1\nplugins:\n  taps:\n    - name: tap-csv\n   bad: [\n")
    assert load_error(root).startswith("plugins.yml:5: invalid YAML: ")


def test_an_unknown_plugin_kind_lists_the_valid_kinds(write_project: WriteProject) -> None:
    root = write_project("version: 1\nplugins:\n  extractors:\n    - name: tap-csv\n")
    assert load_error(root) == (
        "plugins.extractors: unknown plugin kind; expected one of taps, targets, mappers "
        "(plugins.yml:3)"
    )


def test_an_unknown_key_suggests_the_key_that_was_meant(write_project: WriteProject) -> None:
    root = write_project("plugins:\n  taps:\n    - name: tap-csv\n      pip_ulr: tap-csv\n")
    assert load_error(root) == (
        "plugins.taps[0].pip_ulr: unknown key; expected one of name, inherit_from, pip_url, "
        'executable, config, select, metadata, settings (plugins.yml:4). Did you mean "pip_url"?'
    )


def test_a_missing_name_points_at_the_list_item(write_project: WriteProject) -> None:
    root = write_project("plugins:\n  taps:\n    - pip_url: tap-csv\n")
    assert load_error(root) == 'plugins.taps[0]: missing required key "name" (plugins.yml:3)'


def test_an_unknown_setting_kind_suggests_one(write_project: WriteProject) -> None:
    root = write_project(
        "plugins:\n  taps:\n    - name: t\n      settings: [{name: port, kind: int}]\n"
    )
    assert load_error(root) == (
        "plugins.taps[0].settings[0].kind: expected one of string, integer, number, boolean, "
        'password, object, array, date_iso8601 or file, got "int" (plugins.yml:4). '
        'Did you mean "integer"?'
    )


def test_every_problem_is_reported_at_once_in_line_order(write_project: WriteProject) -> None:
    root = write_project(
        """\
        version: 2
        plugins:
          taps:
            - name: tap-csv
              config: {a: "${NOPE}"}
          extractors: []
        """
    )
    assert load_error(root) == (
        "plugins.yml: 3 problems:\n"
        "  version: expected 1, got 2 (plugins.yml:1)\n"
        "  plugins.taps[0].config.a: environment variable NOPE is not set (plugins.yml:5). "
        "Set it in the environment or in .env, or give a default: ${NOPE:-value}\n"
        "  plugins.extractors: unknown plugin kind; expected one of taps, targets, mappers "
        "(plugins.yml:6)"
    )


def test_an_empty_file_is_an_error(write_project: WriteProject) -> None:
    assert load_error(write_project("# nothing\n")) == (
        "plugins.yml: the file is empty; expected version and plugins"
    )


def test_a_top_level_list_is_an_error(write_project: WriteProject) -> None:
    assert load_error(write_project("- tap-csv\n")) == (
        "plugins.yml:1: expected a mapping at the top level, got a list"
    )


def test_a_missing_file_says_to_run_elt_init(tmp_path: Path) -> None:
    message = load_error(tmp_path)
    assert (
        message
        == f"no plugins.yml in {tmp_path}. Run `elt init {tmp_path}` to create a project there"
    )


def test_without_interpolation_references_are_kept_and_not_required(
    write_project: WriteProject,
) -> None:
    root = write_project(
        """\
        plugins:
          taps:
            - name: tap-csv
              config: {port: "${PORT}", host: "${HOST}"}
              settings: [{name: port, kind: integer}]
        """
    )
    config = load_project(root, environ={}, interpolate=False).plugin("tap-csv").config
    assert config == {"port": "${PORT}", "host": "${HOST}"}


def test_the_project_root_is_found_from_a_subdirectory(write_project: WriteProject) -> None:
    root = write_project("version: 1\n")
    deep = root / "a" / "b"
    deep.mkdir(parents=True)
    assert find_project_root(start=deep) == root.resolve()


def test_an_explicit_root_may_name_the_directory_or_the_file(
    write_project: WriteProject,
) -> None:
    root = write_project("version: 1\n")
    assert find_project_root(root) == root.resolve()
    assert find_project_root(root / "plugins.yml") == root.resolve()


def test_an_explicit_root_without_plugins_yml_says_to_run_elt_init(tmp_path: Path) -> None:
    with pytest.raises(ProjectError, match=r"no plugins.yml in .*Run `elt init "):
        find_project_root(tmp_path)


def test_no_project_above_the_start_suggests_init_or_project(tmp_path: Path) -> None:
    with pytest.raises(ProjectError) as raised:
        find_project_root(start=tmp_path)
    assert "or any parent directory" in str(raised.value)
    assert raised.value.hint == "Run `elt init .` to create a project, or pass --project DIR"


def test_dotenv_values_are_taken_literally(write_project: WriteProject) -> None:
    root = write_project(
        "plugins:\n  taps:\n    - name: tap-csv\n      config: {password: '${PW}'}\n",
        dotenv="PW='pa${ss}$$word'\n",
    )
    assert load_project(root, environ={}).plugin("tap-csv").config == {"password": "pa${ss}$$word"}


def test_an_unknown_plugin_kind_in_an_environment_is_reported(
    write_project: WriteProject,
) -> None:
    root = write_project("environments:\n  - name: dev\n    plugins:\n      tap: []\n")
    assert load_error(root) == (
        "environments[0].plugins.tap: unknown plugin kind; expected one of taps, targets, "
        'mappers (plugins.yml:4). Did you mean "taps"?'
    )
