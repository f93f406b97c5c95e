from __future__ import annotations

import shlex
import stat
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import orjson
import pytest
from click.testing import Result

Elt = Callable[..., Result]


def write(root: Path, plugins_yml: str) -> Path:
    root.mkdir(exist_ok=True)
    (root / "plugins.yml").write_text(textwrap.dedent(plugins_yml))
    return root


@pytest.mark.parametrize(
    ("plugins_yml", "message"),
    [
        pytest.param(
            "version: 1\nplugins:\n  taps: [\n",
            "error: plugins.yml:4: invalid YAML: expected the node content, but found "
            "'<stream end>' (column 1)",
            id="malformed-yaml",
        ),
        pytest.param(
            "version: 1\nplugins:\n  extractors:\n    - name: tap-csv\n",
            "error: plugins.extractors: unknown plugin kind; expected one of taps, targets, "
            "mappers (plugins.yml:3)",
            id="unknown-plugin-kind",
        ),
        pytest.param(
            "plugins:\n  taps:\n    - name: tap-csv\n      config: {key: '${ELT_TEST_UNSET_VAR}'}\n",
            "error: plugins.taps[0].config.key: environment variable ELT_TEST_UNSET_VAR is not "
            "set (plugins.yml:4). Set it in the environment or in .env, or give a default: "
            "${ELT_TEST_UNSET_VAR:-value}",
            id="missing-env-var",
        ),
        pytest.param(
            "plugins:\n  taps:\n    - name: tap-csv\n      settings: [{name: port, kind: integer}]"
            "\n      config:\n        port: abc\n",
            'error: plugins.taps[0].config.port: expected integer, got "abc" (plugins.yml:6)',
            id="wrong-setting-kind",
        ),
        pytest.param(
            "plugins:\n  taps:\n    - name: tap-csv\n    - name: tap-csv\n",
            'error: plugins.taps[1].name: duplicate plugin name "tap-csv", first at '
            "plugins.taps[0] (plugins.yml:4)",
            id="duplicate-plugin",
        ),
        pytest.param(
            "plugins:\n  taps:\n    - name: tap-csv\n    - name: tap-b\n      inherit_from: tap-x\n",
            'error: plugins.taps[1].inherit_from: unknown tap "tap-x" (plugins.yml:5)',
            id="unknown-inherit-from",
        ),
        pytest.param(
            "plugins:\n  taps:\n    - name: tap-csv\n      confg: {}\n",
            "error: plugins.taps[0].confg: unknown key; expected one of name, inherit_from, "
            "pip_url, executable, config, select, metadata, settings (plugins.yml:4). "
            'Did you mean "config"?',
            id="unknown-key",
        ),
    ],
)
def test_bad_plugins_yml_is_one_clear_error_without_traceback(
    tmp_path: Path, elt: Elt, plugins_yml: str, message: str
) -> None:
    root = write(tmp_path / "p", plugins_yml)
    result = elt("--project", str(root), "config", "list", "tap-csv")
    assert (result.exit_code, result.stdout, result.stderr) == (78, "", message + "\n")


def test_list_shows_values_and_sources_with_secrets_redacted(project: Path, elt: Elt) -> None:
    p = ("--project", str(project))
    elt(*p, "config", "set", "target-postgres", "host", "localhost")
    elt(*p, "config", "set", "target-postgres", "password", "hunter2")
    result = elt(*p, "config", "list", "target-postgres", env={"TARGET_POSTGRES_PORT": "5433"})
    assert result.exit_code == 0
    assert result.stdout == (
        "SETTING   VALUE      SOURCE\n"
        "host      localhost  plugins.yml\n"
        "port      5433       env TARGET_POSTGRES_PORT\n"
        "password  ********   .env TARGET_POSTGRES_PASSWORD\n"
    )
    assert "hunter2" not in result.output


def test_list_shows_secrets_only_when_asked(project: Path, elt: Elt) -> None:
    p = ("--project", str(project))
    elt(*p, "config", "set", "target-postgres", "password", "hunter2")
    result = elt(*p, "config", "list", "target-postgres", "--show-secrets")
    assert "hunter2" in result.stdout


def test_list_as_json_has_values_sources_and_secrecy(project: Path, elt: Elt) -> None:
    p = ("--project", str(project))
    elt(*p, "config", "set", "target-postgres", "port", "5432")
    elt(*p, "config", "set", "target-postgres", "password", "t0k")
    result = elt(*p, "config", "list", "target-postgres", "--format", "json")
    assert orjson.loads(result.stdout) == {
        "plugin": "target-postgres",
        "environment": "dev",
        "settings": [
            {
                "name": "port",
                "value": 5432,
                "source": "plugins.yml",
                "origin": "plugins.targets[0]",
                "secret": False,
            },
            {
                "name": "password",
                "value": "********",
                "source": "dotenv",
                "origin": "TARGET_POSTGRES_PASSWORD",
                "secret": True,
            },
        ],
    }


def test_get_prints_the_value_for_shell_use(project: Path, elt: Elt) -> None:
    p = ("--project", str(project))
    elt(*p, "config", "set", "tap-csv", "files", "[a.csv, b.csv]")
    elt(*p, "config", "set", "tap-csv", "delimiter", ";")
    assert elt(*p, "config", "get", "tap-csv", "files").stdout == '["a.csv","b.csv"]\n'
    assert elt(*p, "config", "get", "tap-csv", "delimiter").stdout == ";\n"


def test_get_redacts_a_secret_unless_asked(project: Path, elt: Elt) -> None:
    p = ("--project", str(project))
    elt(*p, "config", "set", "target-postgres", "password", "hunter2")
    assert elt(*p, "config", "get", "target-postgres", "password").stdout == "********\n"
    shown = elt(*p, "config", "get", "target-postgres", "password", "--show-secrets")
    assert shown.stdout == "hunter2\n"


def test_get_an_unset_setting_exits_78(project: Path, elt: Elt) -> None:
    result = elt("--project", str(project), "config", "get", "tap-csv", "port")
    assert (result.exit_code, result.stderr) == (
        78,
        "error: tap-csv.port: not set. Set it with `elt config set tap-csv port VALUE`\n",
    )


def test_set_preserves_comments_in_plugins_yml(project: Path, elt: Elt) -> None:
    plugins = project / "plugins.yml"
    original = plugins.read_text().replace(
        "    - name: tap-csv\n", "    - name: tap-csv   # our CSVs\n"
    )
    plugins.write_text(original)
    result = elt("--project", str(project), "config", "set", "tap-csv", "delimiter", "|")
    assert (result.exit_code, result.stdout) == (
        0,
        "set tap-csv.delimiter = | in plugins.yml plugins.taps[0].config.delimiter\n",
    )
    assert plugins.read_text() == original.replace(
        "      pip_url: tap-csv\n  targets:\n",
        "      pip_url: tap-csv\n      config:\n        delimiter: '|'\n  targets:\n",
    )


def test_set_a_secret_writes_a_private_dotenv_and_hides_the_value(project: Path, elt: Elt) -> None:
    before = (project / "plugins.yml").read_text()
    result = elt("--project", str(project), "config", "set", "target-postgres", "password", "pw")
    assert result.stdout == (
        "set target-postgres.password = ******** in .env TARGET_POSTGRES_PASSWORD\n"
    )
    assert (project / ".env").read_text() == "TARGET_POSTGRES_PASSWORD='pw'\n"
    assert stat.S_IMODE((project / ".env").stat().st_mode) == 0o600
    assert (project / "plugins.yml").read_text() == before


def test_set_without_value_prompts_with_hidden_input(project: Path, elt: Elt) -> None:
    result = elt(
        "--project", str(project), "config", "set", "target-postgres", "password", input="s3\n"
    )
    assert result.exit_code == 0
    assert (project / ".env").read_text() == "TARGET_POSTGRES_PASSWORD='s3'\n"
    assert "s3" not in result.stdout


def test_set_with_an_explicit_store(project: Path, elt: Elt) -> None:
    p = ("--project", str(project))
    result = elt(*p, "config", "set", "target-postgres", "password", "x", "--store", "yml")
    assert result.stdout == (
        "set target-postgres.password = ******** in plugins.yml "
        "plugins.targets[0].config.password\n"
    )
    result = elt(
        *p, "-e", "prod", "config", "set", "tap-csv", "delimiter", ";", "--store", "environment"
    )
    assert result.stdout == (
        "set tap-csv.delimiter = ; in plugins.yml environments[1].plugins.taps[0].config.delimiter\n"
    )


def test_set_warns_when_a_variable_still_overrides(project: Path, elt: Elt) -> None:
    result = elt(
        "--project",
        str(project),
        "config",
        "set",
        "tap-csv",
        "delimiter",
        ";",
        env={"TAP_CSV_DELIMITER": ","},
    )
    assert result.exit_code == 0
    assert result.stderr == "note: env TAP_CSV_DELIMITER overrides this value\n"


def test_set_on_an_unknown_plugin_suggests_the_known_ones(project: Path, elt: Elt) -> None:
    result = elt("--project", str(project), "config", "set", "tap-cvs", "port", "1")
    assert (result.exit_code, result.stderr) == (
        78,
        'error: plugins.yml: unknown plugin "tap-cvs". Did you mean "tap-csv"? '
        "Known: tap-csv, target-postgres.\n",
    )


def test_unset_removes_the_value(project: Path, elt: Elt) -> None:
    p = ("--project", str(project))
    before = (project / "plugins.yml").read_text()
    elt(*p, "config", "set", "tap-csv", "delimiter", "|")
    result = elt(*p, "config", "unset", "tap-csv", "delimiter")
    assert result.stdout == (
        "removed tap-csv.delimiter from plugins.yml plugins.taps[0].config.delimiter\n"
    )
    assert (project / "plugins.yml").read_text() == before
    again = elt(*p, "config", "unset", "tap-csv", "delimiter")
    assert again.stdout == "tap-csv.delimiter was not set in plugins.yml or .env; nothing to do\n"


def test_a_setting_the_plugin_declares_secret_is_redacted_whatever_its_name(
    elt: Elt, project: Path, tmp_path: Path
) -> None:
    url = "postgresql://loader:hunter2-secret@db.example.com/warehouse"
    env = {"ELT_CACHE_DIR": str(tmp_path / "cache")}
    assert elt("--project", str(project), "config", "set", "target-postgres", "sqlalchemy_url", url,
               "--store", "yml", env=env).exit_code == 0  # fmt: skip
    listed = elt("--project", str(project), "config", "list", "target-postgres", env=env)
    assert listed.exit_code == 0, listed.stderr
    assert "hunter2-secret" not in listed.stdout
    assert "sqlalchemy_url" in listed.stdout
    got = elt("--project", str(project), "config", "get", "target-postgres", "sqlalchemy_url",
              env=env)  # fmt: skip
    assert got.stdout.strip() == "********"


def add_plugins(elt: Elt, project: Path, *names: str) -> None:
    for name in names:
        kind = "tap" if name.startswith("tap-") else "target"
        assert elt("--project", str(project), "add", kind, name).exit_code == 0


def test_a_setting_the_plugin_marks_secret_goes_to_dotenv_and_is_not_echoed(
    elt: Elt, project: Path
) -> None:
    add_plugins(elt, project, "target-azure")
    result = elt("--project", str(project), "config", "set", "target-azure", "account_key", "K3y=")
    assert result.exit_code == 0, result.stderr
    assert "K3y=" not in result.stdout + result.stderr
    assert "K3y=" not in (project / "plugins.yml").read_text()
    assert (project / ".env").read_text() == "TARGET_AZURE_ACCOUNT_KEY='K3y='\n"


def test_a_url_with_a_password_goes_to_dotenv_whatever_the_setting(elt: Elt, project: Path) -> None:
    add_plugins(elt, project, "tap-http")
    p = ("--project", str(project))
    url = "postgresql://loader:pa55@db/warehouse"
    result = elt(*p, "config", "set", "target-postgres", "sqlalchemy_url", url)
    assert result.stdout == (
        "set target-postgres.sqlalchemy_url = ******** in .env TARGET_POSTGRES_SQLALCHEMY_URL\n"
    )
    api = elt(*p, "config", "set", "tap-http", "api_url", "https://me:pa55@api.example.com/v1")
    assert api.stdout == "set tap-http.api_url = ******** in .env TAP_HTTP_API_URL\n"
    assert "pa55" not in (project / "plugins.yml").read_text()
    assert "TAP_HTTP_API_URL='https://me:pa55@api.example.com/v1'" in (project / ".env").read_text()


@pytest.mark.parametrize(
    ("auth", "secret", "variable"),
    [
        ('{"type": "bearer", "token": "s3cr3t"}', "s3cr3t", "TAP_HTTP_AUTH_TOKEN"),
        ('{"type": "basic", "username": "u", "password": "s3cr3t"}', "s3cr3t",
         "TAP_HTTP_AUTH_PASSWORD"),
        ('{"type": "api_key", "name": "X-Key", "api_key": "s3cr3t"}', "s3cr3t",
         "TAP_HTTP_AUTH_API_KEY"),
        ('{"type": "oauth2", "token_url": "https://a/t", "client_id": "c", '
         '"client_secret": "s3cr3t"}', "s3cr3t", "TAP_HTTP_AUTH_CLIENT_SECRET"),
    ],
)  # fmt: skip
def test_a_secret_inside_an_object_goes_to_dotenv_as_a_reference(
    elt: Elt, project: Path, auth: str, secret: str, variable: str
) -> None:
    add_plugins(elt, project, "tap-http")
    p = ("--project", str(project))
    result = elt(*p, "config", "set", "tap-http", "auth", auth)
    assert result.exit_code == 0, result.stderr
    assert secret not in result.stdout + result.stderr
    assert f"its secrets are in .env: {variable}" in result.stdout
    assert secret not in (project / "plugins.yml").read_text()
    assert f"${{{variable}}}" in (project / "plugins.yml").read_text()
    assert (project / ".env").read_text() == f"{variable}='{secret}'\n"
    # the plugin still gets the secret, and only as part of auth
    dumped = elt(*p, "invoke", "--dump", "config", "--unsafe", "tap-http")
    config = orjson.loads(dumped.stdout)
    assert secret in orjson.dumps(config["auth"]).decode()
    assert set(config) == {"auth"}


def test_a_value_of_the_wrong_kind_for_the_plugin_is_refused(elt: Elt, project: Path) -> None:
    before = (project / "plugins.yml").read_text()
    result = elt("--project", str(project), "config", "set", "target-postgres", "port", "abc")
    assert result.exit_code == 78
    assert 'target-postgres.port: expected integer, got "abc"' in result.stderr
    assert (project / "plugins.yml").read_text() == before


def test_a_setting_the_plugin_does_not_declare_is_refused_unless_forced(
    elt: Elt, project: Path
) -> None:
    p = ("--project", str(project))
    result = elt(*p, "config", "set", "tap-csv", "fles", "[a.csv]")
    assert result.exit_code == 78
    assert result.stderr.startswith(
        "error: tap-csv.fles: tap-csv does not declare a setting 'fles'. Did you mean \"files\"?"
    )
    assert "fles" not in (project / "plugins.yml").read_text()
    forced = elt(*p, "config", "set", "tap-csv", "fles", "[a.csv]", "--force")
    assert forced.exit_code == 0
    assert "fles" in (project / "plugins.yml").read_text()


def test_a_plugin_that_is_not_installed_is_not_checked_and_says_so(elt: Elt, project: Path) -> None:
    p = ("--project", str(project))
    assert elt(*p, "add", "tap", "tap-nowhere", "--pip-url", "tap-nowhere").exit_code == 0
    result = elt(*p, "config", "set", "tap-nowhere", "anything", "1")
    assert result.exit_code == 0
    assert result.stderr.startswith("note: tap-nowhere is not installed, so the value was not")


def test_every_config_set_help_example_works_and_the_plugin_takes_the_value(
    elt: Elt, project: Path
) -> None:
    help_text = elt("config", "set", "--help").stdout
    examples = [
        line.strip().removeprefix("elt ")
        for line in help_text[help_text.index("Examples:") :].splitlines()[1:]
        if line.strip().startswith("elt ")
    ]
    assert len(examples) == 4
    for example in examples:
        words = shlex.split(example.partition("#")[0])
        result = elt("--project", str(project), *words, input="s3cret\n")
        assert result.exit_code == 0, f"{example}: {result.stderr}"
    (project / "data").mkdir()
    (project / "data" / "users.csv").write_text("id;name\n1;Ada\n")
    tap = subprocess.run(
        [Path(sys.executable).parent / "elt", "--project", str(project), "invoke", "tap-csv"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert tap.returncode == 0, tap.stderr
    assert '"record":{"id":1,"name":"Ada"}' in tap.stdout.replace(" ", "")


def test_list_all_shows_what_the_catalogue_declares_before_the_plugin_is_installed(
    elt: Elt, project: Path
) -> None:
    p = ("--project", str(project))
    assert elt(*p, "add", "target", "target-jsonl").exit_code == 0
    assert elt(*p, "config", "set", "target-jsonl", "destination_path", "out").exit_code == 0
    listed = elt(*p, "config", "list", "target-jsonl", "--all")
    assert listed.exit_code == 0, listed.stderr
    assert listed.stdout.splitlines() == [
        "SETTING            KIND     DEFAULT  SECRET  VALUE  SOURCE       DESCRIPTION",
        "destination_path   string                    out    plugins.yml  Folder the files go to. "
        "Default: the current directory.",
        "custom_name        string                           unset        File name prefix in "
        "place of the stream's name.",
        "do_timestamp_file  boolean  true                    unset        Add a timestamp to each "
        "file name.",
    ]
    assert listed.stderr == "declared by elt's catalogue (target-jsonl; not installed yet)\n"


def test_config_set_checks_a_catalogue_plugin_before_it_is_installed(
    elt: Elt, project: Path
) -> None:
    p = ("--project", str(project))
    assert elt(*p, "add", "target", "target-jsonl").exit_code == 0
    typo = elt(*p, "config", "set", "target-jsonl", "destinaton_path", "out")
    assert typo.exit_code == 78
    assert 'Did you mean "destination_path"?' in typo.stderr
    kind = elt(*p, "config", "set", "target-jsonl", "do_timestamp_file", "maybe")
    assert (kind.exit_code, kind.stderr) == (
        78,
        'error: target-jsonl.do_timestamp_file: expected boolean, got "maybe"\n',
    )


def test_list_all_of_a_runnable_plugin_is_its_about_with_defaults_and_values(
    elt: Elt, project: Path
) -> None:
    """The project's tap-csv names its own pip_url (not the catalogue's): the workspace's
    tap-csv executable answers for it."""
    p = ("--project", str(project))
    env = {"TAP_CSV_DELIMITER": ";"}
    listed = elt(*p, "config", "list", "tap-csv", "--all", "--format", "json", env=env)
    assert listed.exit_code == 0, listed.stderr
    document = orjson.loads(listed.stdout)
    assert document["declared_by"].startswith("`tap-csv --about` (")
    settings = {s["name"]: s for s in document["settings"]}
    assert settings["add_metadata_columns"] | {"description": None} == {
        "name": "add_metadata_columns",
        "kind": "boolean",
        "default": False,
        "secret": False,
        "required": False,
        "description": None,
        "value": None,
        "source": "unset",
    }
    assert (settings["delimiter"]["value"], settings["delimiter"]["source"]) == (";", "env")


def test_list_all_redacts_what_the_plugin_declares_secret(elt: Elt, project: Path) -> None:
    p = ("--project", str(project))
    env = {"TARGET_POSTGRES_SQLALCHEMY_URL": "postgresql://u@h/db?x=hunter2"}
    listed = elt(*p, "config", "list", "target-postgres", "--all", env=env)
    assert listed.exit_code == 0, listed.stderr
    [row] = [line for line in listed.stdout.splitlines() if line.startswith("sqlalchemy_url ")]
    assert row.split()[:5] == ["sqlalchemy_url", "string", "yes", "********", "env"]
    assert "hunter2" not in listed.stdout
    shown = elt(*p, "config", "list", "target-postgres", "--all", "--show-secrets", env=env)
    assert "postgresql://u@h/db?x=hunter2" in shown.stdout
