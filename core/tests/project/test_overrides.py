"""``--config PLUGIN.SETTING=VALUE``: read like ``elt config set``, above every other source."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from elt.errors import ConfigError, UsageError
from elt.project import (
    REDACTED,
    SettingKind,
    SettingSource,
    SettingSpec,
    load_project,
    parse_overrides,
    redact_overrides,
    resolve_config,
    set_config,
    typed_overrides,
)

WriteProject = Callable[..., Path]

PLUGINS_YML = """\
plugins:
  taps:
    - name: tap-csv
      config: {port: 1, delimiter: ","}
      settings:
        - {name: port, kind: integer}
        - {name: delimiter, kind: string}
        - {name: password, kind: password}
        - {name: files, kind: array}
    - name: tap.dotted
  targets:
    - name: target-x
"""
BLOCKS = ("tap-csv", "target-x")


@pytest.fixture
def root(write_project: WriteProject) -> Path:
    return write_project(PLUGINS_YML)


def parse(
    root: Path, *items: str, blocks: tuple[str, ...] = BLOCKS
) -> dict[str, dict[str, object]]:
    return parse_overrides(load_project(root), items, blocks)


@pytest.mark.parametrize(
    ("setting", "text"),
    [
        ("port", "5433"),
        ("delimiter", "007"),
        ("delimiter", "true"),
        ("files", "[a.csv, b.csv]"),
        ("start_date", "2024-01-01"),
        ("limit", "5"),
        ("flag", "true"),
        ("note", "note: hi"),
        ("empty", ""),
    ],
)
def test_a_value_means_what_elt_config_set_stores(root: Path, setting: str, text: str) -> None:
    [overridden] = parse(root, f"tap-csv.{setting}={text}")["tap-csv"].values()
    change = set_config(root, "tap-csv", setting, text, parse=True, environ={})
    assert overridden == change.value
    assert type(overridden) is type(change.value)


def test_a_later_item_wins_and_each_plugin_gets_its_own(root: Path) -> None:
    overrides = parse(root, "tap-csv.port=2", "target-x.path=out", "tap-csv.port=3")
    assert overrides == {"tap-csv": {"port": 3}, "target-x": {"path": "out"}}


def test_the_plugin_is_the_longest_name_of_the_run_and_the_rest_is_the_setting(
    root: Path,
) -> None:
    overrides = parse(root, "tap.dotted.auth.token=x", blocks=("tap.dotted", "target-x"))
    assert overrides == {"tap.dotted": {"auth.token": "x"}}


@pytest.mark.parametrize(
    "item", ["tap-csv.port", "tap-csv=5", "port=5", "=5", "tap-csv.port 5"], ids=repr
)
def test_an_item_without_a_dot_or_an_equals_sign_shows_the_expected_form(
    root: Path, item: str
) -> None:
    with pytest.raises(UsageError, match=r"is not PLUGIN\.SETTING=VALUE") as raised:
        parse(root, item)
    assert "--config tap-csv.start_date=2024-01-01" in str(raised.value)


def test_a_plugin_the_run_does_not_use_is_named_with_the_runs_plugins(root: Path) -> None:
    with pytest.raises(UsageError) as raised:
        parse(root, "tap.dotted.x=1")
    assert str(raised.value) == (
        "--config tap.dotted.x: tap.dotted is not a plugin of the run. "
        "Override a setting of one of tap-csv, target-x"
    )
    with pytest.raises(UsageError, match="nope is not a plugin of the run"):
        parse(root, "nope.x=1")


def test_an_invalid_setting_name_is_refused(root: Path) -> None:
    with pytest.raises(UsageError, match=r'--config tap-csv\.: invalid setting name ""'):
        parse(root, "tap-csv.=1")
    with pytest.raises(UsageError, match="invalid setting name"):
        parse(root, "tap-csv.a b=1")


def test_a_value_of_the_wrong_kind_names_the_override_but_never_quotes_a_secret(
    write_project: WriteProject,
) -> None:
    root = write_project(
        PLUGINS_YML.replace(
            "{name: password, kind: password}", "{name: pin, kind: integer, secret: true}"
        )
    )
    with pytest.raises(ConfigError) as raised:
        parse(root, "tap-csv.port=abc")
    assert str(raised.value) == '--config tap-csv.port: expected integer, got "abc"'
    with pytest.raises(ConfigError) as raised:
        parse(root, "tap-csv.pin=s3cret-pin")
    assert str(raised.value) == "--config tap-csv.pin: expected integer"


def test_an_override_wins_over_every_source_and_says_so(root: Path) -> None:
    environ = {"TAP_CSV_PORT": "9", "TAP_CSV_DELIMITER": ";"}
    project = load_project(root, environ=environ)
    overrides = {"tap-csv": {"port": 5433, "extra": "x"}, "target-x": {"port": 1}}
    resolved = {s.name: s for s in resolve_config(project, "tap-csv", overrides=overrides).settings}
    assert (resolved["port"].value, resolved["port"].source) == (5433, SettingSource.OVERRIDE)
    assert resolved["port"].label == "--config"
    assert (resolved["delimiter"].value, resolved["delimiter"].source) == (";", SettingSource.ENV)
    assert (resolved["extra"].value, resolved["extra"].source) == ("x", SettingSource.OVERRIDE)


def test_a_null_override_sets_nothing(root: Path) -> None:
    project = load_project(root, environ={})
    config = resolve_config(project, "tap-csv", overrides={"tap-csv": {"port": None}})
    assert config.values()["port"] == 1


def test_what_the_plugin_declares_types_and_checks_an_override(root: Path) -> None:
    project = load_project(root, environ={})
    declared = [
        SettingSpec(name="batch_size", kind=SettingKind.INTEGER),
        SettingSpec(name="label", kind=SettingKind.STRING),
    ]
    overrides = {"tap-csv": {"batch_size": "500", "label": 2024}}
    config = resolve_config(project, "tap-csv", declared=declared, overrides=overrides)
    assert (config.values()["batch_size"], config.values()["label"]) == (500, "2024")
    with pytest.raises(ConfigError, match=r"--config tap-csv\.batch_size: expected integer"):
        resolve_config(
            project, "tap-csv", declared=declared, overrides={"tap-csv": {"batch_size": "x"}}
        )


def test_secret_values_are_redacted_for_the_record() -> None:
    overrides = {"tap": {"password": "pw", "port": 1, "auth": {"token": "t", "user": "u"}}}
    shown = redact_overrides(overrides, lambda plugin, setting: setting == "password")
    assert shown == {
        "tap": {"password": REDACTED, "port": 1, "auth": {"token": REDACTED, "user": "u"}}
    }


def test_typed_overrides_keep_python_values_and_coerce_declared_kinds(root: Path) -> None:
    config = {
        "tap-csv.port": "5433",
        "tap-csv.delimiter": ";",
        "tap-csv.files": ["a.csv"],
        "tap-csv.start_date": "2024-01-01",
        "target-x.batch": {"size": 10},
        "tap-csv.password": None,
    }
    assert typed_overrides(load_project(root), config, BLOCKS) == {
        "tap-csv": {"port": 5433, "delimiter": ";", "files": ["a.csv"], "start_date": "2024-01-01"},
        "target-x": {"batch": {"size": 10}},
    }


@pytest.mark.parametrize(
    ("config", "error", "says"),
    [
        ({"tap-csv": 1}, UsageError, "config key 'tap-csv' is not PLUGIN.SETTING"),
        ({"tap.dotted.x": 1}, UsageError, "tap.dotted is not a plugin of the run"),
        ({"tap-csv.port": "many"}, ConfigError, "--config tap-csv.port"),
        ({"tap-csv.password": ["x"]}, ConfigError, "expected password"),
    ],
)
def test_typed_overrides_refuse_what_parse_overrides_refuses(
    root: Path, config: dict[str, object], error: type[Exception], says: str
) -> None:
    with pytest.raises(error) as refused:
        typed_overrides(load_project(root), config, BLOCKS)
    assert says in str(refused.value)
    assert "['x']" not in str(refused.value)  # a secret's value is never quoted
