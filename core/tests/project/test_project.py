from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from elt.errors import ProjectError
from elt.project.loader import load_project
from elt.project.project import Project, deep_merge

WriteProject = Callable[..., Path]

FAMILY = """\
    default_environment: dev
    plugins:
      taps:
        - name: tap-csv
          pip_url: ./taps/tap-csv
          executable: tap-csv-fast
          config: {delimiter: ",", files: [a.csv], options: {quote: '"', header: true}}
          select: ["users.*"]
          metadata: {users: {replication-method: FULL_TABLE, replication-key: id}}
          settings:
            - {name: port, kind: integer, default: 1}
            - {name: delimiter}
        - name: tap-csv-sales
          inherit_from: tap-csv
          config: {files: [sales.csv], options: {header: false}}
          metadata: {users: {replication-method: INCREMENTAL}}
          settings:
            - {name: port, kind: number, default: 2}
        - name: tap-csv-sales-eu
          inherit_from: tap-csv-sales
          select: ["sales.*"]
        - name: tap-bare
    environments:
      - name: dev
        plugins:
          taps:
            - name: tap-csv
              config: {delimiter: ";"}
      - name: prod
"""


@pytest.fixture
def project(write_project: WriteProject) -> Project:
    return load_project(write_project(FAMILY), environ={})


def test_a_child_inherits_install_and_executable_from_its_parent(project: Project) -> None:
    child = project.plugin("tap-csv-sales-eu")
    assert (child.pip_url, child.executable) == ("./taps/tap-csv", "tap-csv-fast")
    assert [a.name for a in child.ancestors] == ["tap-csv-sales", "tap-csv"]


def test_a_plugin_without_pip_url_installs_the_package_of_its_name(project: Project) -> None:
    bare = project.plugin("tap-bare")
    assert (bare.pip_url, bare.executable) == ("tap-bare", "tap-bare")


def test_child_config_is_deep_merged_over_the_parent(project: Project) -> None:
    assert project.plugin("tap-csv-sales-eu").config == {
        "delimiter": ",",
        "files": ["sales.csv"],
        "options": {"quote": '"', "header": False},
    }


def test_select_is_inherited_unless_the_child_sets_its_own(project: Project) -> None:
    assert project.plugin("tap-csv-sales").select == ("users.*",)
    assert project.plugin("tap-csv-sales-eu").select == ("sales.*",)


def test_metadata_is_deep_merged_per_stream(project: Project) -> None:
    assert project.plugin("tap-csv-sales").metadata == {
        "users": {"replication-method": "INCREMENTAL", "replication-key": "id"}
    }


def test_a_child_setting_declaration_replaces_the_parents(project: Project) -> None:
    settings = project.plugin("tap-csv-sales-eu").settings
    assert [(s.name, s.kind.value, s.default) for s in settings] == [
        ("port", "number", 2),
        ("delimiter", "string", None),
    ]


def test_plugin_path_is_its_yaml_path(project: Project) -> None:
    assert project.plugin("tap-csv-sales").path == "plugins.taps[1]"


def test_an_unknown_plugin_suggests_a_name_and_lists_the_known_ones(project: Project) -> None:
    with pytest.raises(ProjectError) as raised:
        project.plugin("tap-cvs")
    assert str(raised.value) == (
        'plugins.yml: unknown plugin "tap-cvs". Did you mean "tap-csv"? Known: tap-csv, '
        "tap-csv-sales, tap-csv-sales-eu, tap-bare."
    )


def test_the_default_environment_is_active_unless_another_is_named(project: Project) -> None:
    default, prod = project.environment(), project.environment("prod")
    assert default is not None
    assert default.name == "dev"
    assert prod is not None
    assert prod.name == "prod"


def test_an_unknown_environment_lists_the_known_ones(project: Project) -> None:
    with pytest.raises(ProjectError, match=r'unknown environment "stage"\. Known: dev, prod\.'):
        project.environment("stage")


def test_environment_config_is_only_for_the_named_plugin(project: Project) -> None:
    dev = project.environment("dev")
    assert project.environment_config(dev, project.plugin("tap-csv")) == {"delimiter": ";"}
    assert project.environment_config(dev, project.plugin("tap-csv-sales")) == {}


def test_deep_merge_merges_mappings_and_replaces_lists() -> None:
    base = {"a": {"x": 1, "y": [1, 2]}, "b": 1}
    assert deep_merge(base, {"a": {"y": [3]}, "c": 2}) == {"a": {"x": 1, "y": [3]}, "b": 1, "c": 2}
    assert base == {"a": {"x": 1, "y": [1, 2]}, "b": 1}
