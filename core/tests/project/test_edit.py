from __future__ import annotations

import stat
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from elt.errors import ConfigError, ProjectError, UsageError
from elt.project.edit import (
    ConfigStore,
    add_plugin,
    remove_plugin,
    set_config,
    unset_config,
)
from elt.project.loader import load_project, read_dotenv
from elt.project.model import PluginKind

WriteProject = Callable[..., Path]

COMMENTED = """\
    # Our project. Keep this comment.
    version: 1
    default_environment: dev
    plugins:
      taps:
        - name: tap-csv      # the CSV tap
          pip_url: ./taps/tap-csv
          config:
            # where the files are
            files: [users.csv]
            host: ${CSV_HOST}
          settings:
            - {name: port, kind: integer}
      targets:
        - name: target-postgres
    environments:
      - name: dev   # local
      - name: prod
"""


def text(root: Path) -> str:
    return (root / "plugins.yml").read_text()


def test_add_plugin_appends_and_keeps_comments(write_project: WriteProject) -> None:
    root = write_project(COMMENTED)
    added = add_plugin(root, PluginKind.TAP, "tap-http", pip_url="tap-http", executable="th")
    assert (added.path, added.file) == ("plugins.taps[1]", root / "plugins.yml")
    assert text(root) == textwrap.dedent(COMMENTED).replace(
        "  targets:\n",
        "    - name: tap-http\n      pip_url: tap-http\n      executable: th\n  targets:\n",
    )
    plugin = load_project(root, environ={"CSV_HOST": "h"}).plugin("tap-http")
    assert (plugin.pip_url, plugin.executable) == ("tap-http", "th")


def test_add_plugin_creates_a_missing_section_in_block_style(write_project: WriteProject) -> None:
    root = write_project("version: 1\nplugins:\n  taps: []\n")
    add_plugin(root, PluginKind.MAPPER, "meltano-map-transform")
    add_plugin(root, PluginKind.TAP, "tap-csv", inherit_from=None)
    assert text(root) == (
        "version: 1\nplugins:\n  taps:\n    - name: tap-csv\n"
        "  mappers:\n    - name: meltano-map-transform\n      pip_url: meltano-map-transform==0.12.3\n"
    )


def test_add_plugin_with_inherit_from_writes_the_parent(write_project: WriteProject) -> None:
    root = write_project(COMMENTED)
    add_plugin(root, PluginKind.TAP, "tap-csv-sales", inherit_from="tap-csv")
    child = load_project(root, environ={"CSV_HOST": "h"}).plugin("tap-csv-sales")
    assert child.pip_url == "./taps/tap-csv"


def test_add_plugin_refuses_a_name_in_use_by_any_kind(write_project: WriteProject) -> None:
    root = write_project(COMMENTED)
    before = text(root)
    with pytest.raises(ProjectError) as raised:
        add_plugin(root, PluginKind.TARGET, "tap-csv")
    assert str(raised.value) == (
        'plugins.yml:6: a tap named "tap-csv" already exists (plugins.taps[0]). '
        "Choose another name, or edit the existing entry"
    )
    assert text(root) == before


def test_add_plugin_refuses_an_unknown_parent(write_project: WriteProject) -> None:
    root = write_project(COMMENTED)
    with pytest.raises(ProjectError) as raised:
        add_plugin(root, PluginKind.TAP, "tap-x", inherit_from="tap-cvs")
    assert str(raised.value) == (
        'plugins.yml: cannot inherit from unknown tap "tap-cvs". Did you mean "tap-csv"? '
        "Known taps: tap-csv."
    )


def test_add_plugin_refuses_an_invalid_name(write_project: WriteProject) -> None:
    root = write_project(COMMENTED)
    with pytest.raises(UsageError, match=r'invalid plugin name "\.\./x"'):
        add_plugin(root, PluginKind.TAP, "../x")


def test_set_config_writes_plugins_yml_and_keeps_comments(write_project: WriteProject) -> None:
    root = write_project(COMMENTED)
    change = set_config(root, "tap-csv", "delimiter", ";")
    assert (change.store, change.location) == (
        ConfigStore.YML,
        "plugins.yml plugins.taps[0].config.delimiter",
    )
    assert text(root) == textwrap.dedent(COMMENTED).replace(
        "        host: ${CSV_HOST}\n", "        host: ${CSV_HOST}\n        delimiter: ;\n"
    )


def test_set_config_coerces_to_the_declared_kind(write_project: WriteProject) -> None:
    root = write_project(COMMENTED)
    assert set_config(root, "tap-csv", "port", "5432").value == 5432
    assert "        port: 5432\n" in text(root)


def test_set_config_parses_command_line_text(write_project: WriteProject) -> None:
    root = write_project(COMMENTED)
    set_config(root, "tap-csv", "files", "[a.csv, b.csv]", parse=True)
    set_config(root, "tap-csv", "header", "true", parse=True)
    config = load_project(root, environ={"CSV_HOST": "h"}).plugin("tap-csv").config
    assert (config["files"], config["header"]) == (["a.csv", "b.csv"], True)


def test_set_config_refuses_a_value_of_the_wrong_kind(write_project: WriteProject) -> None:
    root = write_project(COMMENTED)
    before = text(root)
    with pytest.raises(ConfigError, match=r'^tap-csv\.port: expected integer, got "abc"$'):
        set_config(root, "tap-csv", "port", "abc")
    assert text(root) == before


def test_set_config_keeps_a_reference_as_written(write_project: WriteProject) -> None:
    root = write_project(COMMENTED)
    set_config(root, "tap-csv", "port", "${CSV_PORT}")
    assert "        port: ${CSV_PORT}\n" in text(root)


def test_set_config_works_without_the_variables_the_file_references(
    write_project: WriteProject,
) -> None:
    root = write_project(COMMENTED)
    with pytest.raises(ProjectError, match="CSV_HOST is not set"):
        load_project(root, environ={})
    set_config(root, "tap-csv", "delimiter", ",", environ={})


def test_a_secret_goes_to_a_private_dotenv_by_default(write_project: WriteProject) -> None:
    root = write_project(COMMENTED)
    before = text(root)
    change = set_config(root, "target-postgres", "password", "hunter2")
    assert (change.store, change.location, change.secret) == (
        ConfigStore.DOTENV,
        ".env TARGET_POSTGRES_PASSWORD",
        True,
    )
    assert read_dotenv(root) == {"TARGET_POSTGRES_PASSWORD": "hunter2"}
    assert stat.S_IMODE((root / ".env").stat().st_mode) == 0o600
    assert text(root) == before


def test_a_secret_goes_to_plugins_yml_when_asked(write_project: WriteProject) -> None:
    root = write_project(COMMENTED)
    change = set_config(root, "target-postgres", "password", "x", store=ConfigStore.YML)
    assert change.store is ConfigStore.YML
    assert "      config:\n        password: x\n" in text(root)
    assert not (root / ".env").exists()


def test_a_plain_value_goes_to_dotenv_when_asked(write_project: WriteProject) -> None:
    root = write_project(COMMENTED)
    set_config(root, "tap-csv", "port", "7", store=ConfigStore.DOTENV)
    assert read_dotenv(root) == {"TAP_CSV_PORT": "7"}


def test_the_environment_store_writes_the_active_environment_block(
    write_project: WriteProject,
) -> None:
    root = write_project(COMMENTED)
    change = set_config(
        root, "target-postgres", "database", "dev_db", store=ConfigStore.ENVIRONMENT
    )
    assert change.location == ("plugins.yml environments[0].plugins.targets[0].config.database")
    assert text(root).endswith(
        "  - name: dev   # local\n"
        "    plugins:\n"
        "      targets:\n"
        "        - name: target-postgres\n"
        "          config:\n"
        "            database: dev_db\n"
        "  - name: prod\n"
    )
    set_config(root, "target-postgres", "schema", "raw", store=ConfigStore.ENVIRONMENT)
    project = load_project(root, environ={"CSV_HOST": "h"})
    dev = project.environment("dev")
    assert project.environment_config(dev, project.plugin("target-postgres")) == {
        "database": "dev_db",
        "schema": "raw",
    }


def test_the_environment_store_needs_an_active_environment(write_project: WriteProject) -> None:
    root = write_project("plugins:\n  taps:\n    - name: tap-csv\n")
    with pytest.raises(UsageError, match="needs an active environment"):
        set_config(root, "tap-csv", "a", "1", store=ConfigStore.ENVIRONMENT)


def test_set_config_reports_a_variable_that_still_overrides(write_project: WriteProject) -> None:
    root = write_project(COMMENTED)
    change = set_config(root, "tap-csv", "port", "1", environ={"TAP_CSV_PORT": "2"})
    assert change.shadowed_by == "env TAP_CSV_PORT"


def test_set_config_on_an_unknown_plugin_lists_the_known_ones(
    write_project: WriteProject,
) -> None:
    root = write_project(COMMENTED)
    with pytest.raises(ProjectError, match=r'unknown plugin "tap-cvs"\. Did you mean "tap-csv"\?'):
        set_config(root, "tap-cvs", "port", "1")


def test_unset_config_removes_from_plugins_yml_and_dotenv(write_project: WriteProject) -> None:
    root = write_project(COMMENTED)
    set_config(root, "tap-csv", "port", "1")
    set_config(root, "tap-csv", "port", "2", store=ConfigStore.DOTENV)
    removal = unset_config(root, "tap-csv", "port")
    assert removal.locations == ("plugins.yml plugins.taps[0].config.port", ".env TAP_CSV_PORT")
    assert text(root) == textwrap.dedent(COMMENTED)
    assert read_dotenv(root) == {}


def test_unset_config_of_a_value_set_nowhere_removes_nothing(
    write_project: WriteProject,
) -> None:
    root = write_project(COMMENTED)
    assert unset_config(root, "target-postgres", "port").locations == ()


def test_unset_config_reports_what_still_sets_the_value(write_project: WriteProject) -> None:
    root = write_project(COMMENTED)
    removal = unset_config(root, "tap-csv", "files", environ={"TAP_CSV_FILES": "[]"})
    assert removal.still_set_by == "env TAP_CSV_FILES"


def test_add_plugin_from_the_catalogue_writes_only_what_installs_and_runs_it(
    write_project: WriteProject,
) -> None:
    root = write_project("version: 1\n")
    ours = add_plugin(root, PluginKind.TAP, "tap-csv")
    theirs = add_plugin(root, PluginKind.TARGET, "pipelinewise-target-postgres")
    assert ours.entry is not None
    assert ours.entry.own
    assert theirs.entry is not None
    assert theirs.entry.distribution == "pipelinewise-target-postgres"
    assert text(root) == (
        "version: 1\nplugins:\n  taps:\n    - name: tap-csv\n  targets:\n"
        "    - name: pipelinewise-target-postgres\n"
        "      pip_url: pipelinewise-target-postgres==2.1.2\n      executable: target-postgres\n"
    )


def test_add_plugin_refuses_a_name_the_catalogue_does_not_have_without_a_pip_url(
    write_project: WriteProject,
) -> None:
    root = write_project("version: 1\n")
    with pytest.raises(ConfigError) as raised:
        add_plugin(root, PluginKind.TAP, "tap-cvs", executable="tap-cvs")
    assert raised.value.exit_code == 78
    assert str(raised.value) == (
        'elt\'s catalogue has no tap "tap-cvs", and no --pip-url says what to install. '
        'Did you mean "tap-csv"? `elt add --list` shows the catalogue (tap-csv, tap-http, '
        "tap-jsonl, tap-postgres); any other Singer tap needs --pip-url (a PyPI requirement, a "
        "local path or a git URL)"
    )
    with pytest.raises(ConfigError, match="target-jsonl is a target in elt's catalogue, not a tap"):
        add_plugin(root, PluginKind.TAP, "target-jsonl")
    assert text(root) == "version: 1\n"


REMOVABLE = """\
    # Our project. Keep this comment.
    version: 1
    plugins:
      taps:
        - name: tap-csv      # the CSV tap
        # the HTTP tap: goes with it
        - name: tap-http
          config:
            url: https://example.org   # its own comment
        # the Postgres tap, stays
        - name: tap-postgres
      targets:
        - name: target-postgres   # the only target
    environments:
      - name: dev   # local
        plugins:
          taps:
            - name: tap-http   # dev override of tap-http
              config: {url: http://localhost}
            - name: tap-csv
      - name: prod
    jobs:
      - {name: nightly, tasks: ["tap-csv target-postgres"]}
"""


def test_remove_plugin_takes_its_entry_and_overrides_and_keeps_every_other_comment(
    write_project: WriteProject,
) -> None:
    root = write_project(REMOVABLE)
    removed = remove_plugin(root, PluginKind.TAP, "tap-http")
    assert (removed.path, removed.environments) == ("plugins.taps[1]", ("dev",))
    assert text(root) == textwrap.dedent(REMOVABLE).replace(
        "    # the HTTP tap: goes with it\n    - name: tap-http\n      config:\n"
        "        url: https://example.org   # its own comment\n",
        "",
    ).replace(
        "        - name: tap-http   # dev override of tap-http\n"
        "          config: {url: http://localhost}\n",
        "",
    )
    assert [p.name for p in load_project(root).plugins] == [
        "tap-csv",
        "tap-postgres",
        "target-postgres",
    ]


def test_remove_plugin_refuses_while_something_needs_it(write_project: WriteProject) -> None:
    root = write_project(
        REMOVABLE.replace(
            "    - name: tap-postgres\n", "    - {name: tap-pg, inherit_from: tap-csv}\n"
        )
    )
    before = text(root)
    with pytest.raises(UsageError) as raised:
        remove_plugin(root, PluginKind.TAP, "tap-csv")
    assert str(raised.value) == (
        "cannot remove tap-csv: tap tap-pg inherits from it; job nightly runs it. Remove or "
        "change those first (elt remove, elt job remove, elt schedule remove)"
    )
    with pytest.raises(UsageError, match="tap-http is a tap, not a target"):
        remove_plugin(root, PluginKind.TARGET, "tap-http")
    with pytest.raises(ProjectError, match=r'unknown plugin "tap-htp"\. Did you mean "tap-http"'):
        remove_plugin(root, PluginKind.TAP, "tap-htp")
    assert text(root) == before
