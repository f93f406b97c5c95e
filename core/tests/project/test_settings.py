from __future__ import annotations

import base64
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from elt.errors import ConfigError
from elt.project.loader import load_project
from elt.project.model import SettingKind, SettingSpec
from elt.project.settings import (
    REDACTED,
    SettingSource,
    basic_credentials,
    is_secret,
    redact,
    resolve_config,
    resolve_setting,
    secret_texts,
)

WriteProject = Callable[..., Path]


def resolve_port(
    write_project: WriteProject,
    *,
    env: str | None = None,
    dotenv: str | None = None,
    environment: int | None = None,
    own: int | None = None,
    inherited: int | None = None,
    default: int | None = None,
) -> tuple[object, str]:
    """Set ``port`` of tap-csv at the given layers; return the resolved value and source."""

    def config(value: int | None) -> str:
        return json.dumps({"port": value} if value is not None else {})

    root = write_project(
        f"""\
        default_environment: dev
        plugins:
          taps:
            - name: tap-base
              config: {config(inherited)}
              settings: [{{name: port, kind: integer, default: {json.dumps(default)}}}]
            - name: tap-csv
              inherit_from: tap-base
              config: {config(own)}
        environments:
          - name: dev
            plugins:
              taps:
                - name: tap-csv
                  config: {config(environment)}
        """,
        dotenv=f"TAP_CSV_PORT={dotenv}\n" if dotenv is not None else "",
    )
    project = load_project(root, environ={"TAP_CSV_PORT": env} if env is not None else {})
    resolved = resolve_setting(project, "tap-csv", "port")
    return resolved.value, resolved.label


def test_an_environment_variable_wins_over_dotenv(write_project: WriteProject) -> None:
    assert resolve_port(write_project, env="1", dotenv="2", environment=3) == (
        1,
        "env TAP_CSV_PORT",
    )


def test_dotenv_wins_over_the_environment_block(write_project: WriteProject) -> None:
    assert resolve_port(write_project, dotenv="2", environment=3, own=4) == (
        2,
        ".env TAP_CSV_PORT",
    )


def test_the_environment_block_wins_over_plugins_yml(write_project: WriteProject) -> None:
    assert resolve_port(write_project, environment=3, own=4, inherited=5) == (
        3,
        "environment dev",
    )


def test_plugins_yml_wins_over_the_inherited_config(write_project: WriteProject) -> None:
    assert resolve_port(write_project, own=4, inherited=5, default=6) == (4, "plugins.yml")


def test_inherited_config_wins_over_the_declared_default(write_project: WriteProject) -> None:
    assert resolve_port(write_project, inherited=5, default=6) == (5, "inherited from tap-base")


def test_the_declared_default_applies_when_nothing_sets_a_value(
    write_project: WriteProject,
) -> None:
    assert resolve_port(write_project, default=6) == (6, "default")


def test_a_setting_nothing_sets_is_unset(write_project: WriteProject) -> None:
    assert resolve_port(write_project) == (None, "unset")


def test_an_empty_variable_sets_nothing(write_project: WriteProject) -> None:
    assert resolve_port(write_project, env="", own=4) == (4, "plugins.yml")


def test_a_variable_of_the_wrong_kind_is_a_config_error(write_project: WriteProject) -> None:
    with pytest.raises(ConfigError) as raised:
        resolve_port(write_project, env="abc")
    assert str(raised.value) == (
        'tap-csv.port: expected integer, got "abc" in environment variable TAP_CSV_PORT. '
        "Fix or unset TAP_CSV_PORT"
    )


def test_environment_config_is_deep_merged_over_plugins_yml(write_project: WriteProject) -> None:
    root = write_project(
        """\
        plugins:
          targets:
            - name: target-postgres
              config: {database: main, options: {a: 1, b: 2}}
        environments:
          - name: dev
            plugins:
              targets:
                - name: target-postgres
                  config: {database: dev, options: {b: 3}}
        """
    )
    project = load_project(root, environ={})
    resolved = resolve_config(project, "target-postgres", environment="dev")
    assert resolved.environment == "dev"
    assert resolved.values() == {"database": "dev", "options": {"a": 1, "b": 3}}
    assert resolve_config(project, "target-postgres").values()["database"] == "main"


def test_resolve_config_lists_declared_settings_then_config_keys(
    write_project: WriteProject,
) -> None:
    root = write_project(
        """\
        plugins:
          taps:
            - name: tap-csv
              config: {files: [a.csv], delimiter: ","}
              settings: [{name: delimiter}, {name: api_key, required: true}]
        """
    )
    project = load_project(root, environ={})
    resolved = resolve_config(project, "tap-csv")
    assert [(s.name, s.source) for s in resolved.settings] == [
        ("delimiter", SettingSource.PLUGINS_YML),
        ("api_key", SettingSource.UNSET),
        ("files", SettingSource.PLUGINS_YML),
    ]
    assert resolved.missing(project.plugin("tap-csv")) == ("api_key",)


def test_resolve_config_includes_plugin_variables_from_dotenv_and_environment(
    write_project: WriteProject,
) -> None:
    root = write_project(
        """\
        plugins:
          taps:
            - name: tap
            - name: tap-csv
        """,
        dotenv="TAP_CSV_PASSWORD=hunter2\nOTHER=1\n",
    )
    project = load_project(root, environ={"TAP_CSV_API_TOKEN": "t", "TAP_REGION": "eu"})
    assert resolve_config(project, "tap-csv").values() == {"api_token": "t", "password": "hunter2"}
    assert resolve_config(project, "tap").values() == {"region": "eu"}


def test_process_variables_naming_no_setting_the_plugin_declares_are_not_passed(
    write_project: WriteProject,
) -> None:
    root = write_project(
        """\
        plugins:
          taps:
            - name: tap-http
              config: {auth: {token: "${TAP_HTTP_AUTH_TOKEN}"}}
        """,
        dotenv="TAP_HTTP_API_KEY=k\n",
    )
    environ = {"TAP_HTTP_AUTH_TOKEN": "t", "TAP_HTTP_TIMEOUT": "5", "TAP_HTTP_TIMEOUTT": "6"}
    project = load_project(root, environ=environ)
    declared = [SettingSpec(name="timeout", kind=SettingKind.INTEGER)]
    resolved = resolve_config(project, "tap-http", declared=declared)
    # declared: typed and passed; in .env (elt config set's store): passed; referenced by
    # ${...} in plugins.yml: neither passed nor reported; anything else: reported, not passed
    assert resolved.values() == {"auth": {"token": "t"}, "timeout": 5, "api_key": "k"}
    assert resolved.ignored_variables == ("TAP_HTTP_TIMEOUTT",)
    # a plugin that declares nothing (no --about) gets every variable, as before
    assert resolve_config(project, "tap-http").values()["timeoutt"] == "6"


def test_undeclared_settings_take_variables_as_text(write_project: WriteProject) -> None:
    root = write_project("plugins:\n  taps:\n    - name: tap-csv\n")
    project = load_project(root, environ={"TAP_CSV_LIMIT": "10"})
    assert resolve_setting(project, "tap-csv", "limit").value == "10"


@pytest.mark.parametrize(
    "name",
    [
        "password",
        "db_password",
        "passwd",
        "client_secret",
        "api_key",
        "apiKey",
        "auth-token",
        "refresh_token",
        "private_key",
        "credentials",
        "aws.access_key_id",
        "secret",
        "Authorization",
        "connection_string",
        "key",  # a query parameter's name (Google's), the one rule tap-http uses too
    ],
)
def test_names_that_look_secret_are_secret(name: str) -> None:
    assert is_secret(name)


@pytest.mark.parametrize(
    "name",
    [
        "port",
        "host",
        "tokenizer",
        "user",
        "keys",
        "secretariat",
        "token_url",
        "credentials_path",
        "key_properties",
        "replication_key",
    ],
)
def test_ordinary_names_are_not_secret(name: str) -> None:
    assert not is_secret(name)


def test_a_declared_password_or_secret_setting_is_secret() -> None:
    assert is_secret("dsn", SettingSpec(name="dsn", kind=SettingKind.PASSWORD))
    assert is_secret("dsn", SettingSpec(name="dsn", secret=True))


def test_secret_false_overrides_a_secret_looking_name() -> None:
    assert not is_secret("token_url", SettingSpec(name="token_url", secret=False))


def test_secret_looking_entries_inside_an_object_are_redacted_one_by_one() -> None:
    auth = {"type": "oauth2", "client_id": "me", "client_secret": "s1", "token_url": "https://t"}
    headers = {"Authorization": "Bearer s2", "Accept": "json"}
    assert redact({"auth": auth, "headers": [headers]}, secret=False) == {
        "auth": {**auth, "client_secret": REDACTED},
        "headers": [{"Authorization": REDACTED, "Accept": "json"}],
    }
    assert redact(auth, secret=False, reveal=True) == auth


def test_secret_texts_are_what_redact_hides() -> None:
    value = {"user": "me", "password": "p1", "nested": {"api_key": ["k1", 7]}, "flag": True}
    assert sorted(secret_texts(value, secret=False)) == ["7", "k1", "p1"]
    assert sorted(secret_texts(value, secret=True)) == ["7", "k1", "me", "p1"]


def test_redact_hides_secrets_unless_asked_to_reveal() -> None:
    assert redact("hunter2", secret=True) == REDACTED == "********"
    assert redact("hunter2", secret=True, reveal=True) == "hunter2"
    assert redact("public", secret=False) == "public"
    assert redact(None, secret=True) is None


def test_a_secret_variable_of_the_wrong_kind_is_not_quoted(
    write_project: WriteProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = write_project(
        """\
        plugins:
          taps:
            - name: tap-csv
              settings: [{name: pin, kind: integer, secret: true}]
        """
    )
    monkeypatch.setenv("TAP_CSV_PIN", "s3cret-pin")
    with pytest.raises(ConfigError) as raised:
        resolve_config(load_project(root), "tap-csv")
    assert str(raised.value) == (
        "tap-csv.pin: expected integer in environment variable TAP_CSV_PIN. "
        "Fix or unset TAP_CSV_PIN"
    )


def test_a_params_object_hides_its_key_as_tap_http_hides_it_in_a_url() -> None:
    assert redact({"key": "k1", "page": 2}, secret=False) == {"key": REDACTED, "page": 2}


def test_basic_credentials_are_the_base64_of_each_user_and_secret_side_by_side() -> None:
    config = {
        "auth": {"type": "basic", "username": "ada", "password": "pw"},
        "oauth": [{"client_id": "app", "client_secret": "cs", "token_url": "https://t"}],
        "url": "postgresql://bob:p%40ss@h/db",
        "user": "carl",
    }
    found = set(basic_credentials(config))
    assert found == {
        base64.b64encode(b"ada:pw").decode().rstrip("="),
        base64.b64encode(b"app:cs").decode().rstrip("="),
        base64.b64encode(b"bob:p@ss").decode().rstrip("="),
    }
