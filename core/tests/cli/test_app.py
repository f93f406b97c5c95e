from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result

from elt import __version__
from elt.cli import cli
from elt.cli.app import COMMANDS, EltGroup
from elt.errors import ConfigError

Elt = Callable[..., Result]

BAD_PROJECT = (
    "version: 1\nplugins:\n  taps:\n    - name: tap-csv\n"
    "      config: {port: abc}\n      settings: [{name: port, kind: integer}]\n"
)
BAD_MESSAGE = 'error: plugins.taps[0].config.port: expected integer, got "abc" (plugins.yml:5)\n'


def walk(command: click.Command, ctx: click.Context) -> list[tuple[str, click.Command]]:
    found = [(ctx.command_path, command)]
    if isinstance(command, click.Group):
        for name in command.list_commands(ctx):
            sub = command.get_command(ctx, name)
            assert sub is not None, name
            found += walk(sub, click.Context(sub, info_name=name, parent=ctx))
    return found


def test_version_prints_the_elt_version(elt: Elt) -> None:
    result = elt("--version")
    assert (result.exit_code, result.stdout) == (0, f"elt {__version__}\n")


def test_every_command_and_subcommand_has_help_text() -> None:
    commands = walk(cli, click.Context(cli, info_name="elt"))
    missing = [path for path, command in commands if not (command.help or "").strip()]
    assert missing == []
    assert len(commands) >= 9


def test_every_command_option_has_help_text() -> None:
    commands = walk(cli, click.Context(cli, info_name="elt"))
    missing = [
        f"{path} {param.name}"
        for path, command in commands
        for param in command.params
        if isinstance(param, click.Option) and not param.help and param.name != "version"
    ]
    assert missing == []


def test_each_registered_command_is_listed_and_loads(elt: Elt) -> None:
    ctx = click.Context(cli, info_name="elt")
    assert cli.list_commands(ctx) == sorted(COMMANDS)
    assert all(elt(name, "--help").exit_code == 0 for name in COMMANDS)


def test_an_elt_error_prints_one_message_and_exits_with_its_code(tmp_path: Path, elt: Elt) -> None:
    (tmp_path / "plugins.yml").write_text(BAD_PROJECT)
    result = elt("--project", str(tmp_path), "config", "list", "tap-csv")
    assert (result.exit_code, result.stdout, result.stderr) == (78, "", BAD_MESSAGE)


def test_debug_log_level_adds_the_traceback(tmp_path: Path, elt: Elt) -> None:
    (tmp_path / "plugins.yml").write_text(BAD_PROJECT)
    result = elt("--log-level", "debug", "--project", str(tmp_path), "config", "list", "x")
    assert result.exit_code == 78
    assert result.stderr.startswith("Traceback (most recent call last):")
    assert result.stderr.endswith(BAD_MESSAGE)


def test_an_unexpected_exception_is_reported_as_a_bug_with_exit_1() -> None:
    group = EltGroup(name="elt", params=[click.Option(["--log-level"], default="warning")])

    @group.command()
    def boom() -> None:
        """Fail like a bug."""
        raise RuntimeError("boom")

    @group.command()
    def refuse() -> None:
        """Fail like a user error."""
        raise ConfigError("missing", where="tap-x.port")

    runner = CliRunner()
    bug = runner.invoke(group, ["boom"])
    assert (bug.exit_code, bug.stderr) == (
        1,
        "error: unexpected RuntimeError: boom\n"
        "This is a bug in elt; please report it with the output of `elt --log-level debug ...`.\n",
    )
    assert runner.invoke(group, ["refuse"]).exit_code == ConfigError.exit_code
    assert "Traceback" in runner.invoke(group, ["--log-level", "debug", "boom"]).stderr


def test_click_usage_errors_keep_exit_code_2(elt: Elt) -> None:
    result = elt("config", "list")
    assert result.exit_code == 2
    assert "Missing argument 'PLUGIN'" in result.stderr


def test_the_project_is_found_upwards_from_the_working_directory(
    project: Path, elt: Elt, monkeypatch: pytest.MonkeyPatch
) -> None:
    (project / "sub" / "dir").mkdir(parents=True)
    monkeypatch.chdir(project / "sub" / "dir")
    assert elt("config", "list", "tap-csv").exit_code == 0


def test_the_project_may_come_from_elt_project_root(project: Path, elt: Elt) -> None:
    result = elt("config", "list", "tap-csv", env={"ELT_PROJECT_ROOT": str(project)})
    assert result.exit_code == 0


def test_no_project_found_says_to_run_elt_init(
    tmp_path: Path, elt: Elt, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = elt("config", "list", "tap-csv")
    assert result.exit_code == 78
    assert result.stderr == (
        f"error: no plugins.yml in {tmp_path.resolve()} or any parent directory. "
        "Run `elt init .` to create a project, or pass --project DIR\n"
    )


def test_the_environment_comes_from_the_option_or_elt_environment(project: Path, elt: Elt) -> None:
    elt(
        "--project",
        str(project),
        "-e",
        "prod",
        "config",
        "set",
        "target-postgres",
        "database",
        "prod_db",
        "--store",
        "environment",
    )
    get = ("--project", str(project), "config", "get", "target-postgres", "database")
    assert elt("-e", "prod", *get).stdout == "prod_db\n"
    assert elt(*get, env={"ELT_ENVIRONMENT": "prod"}).stdout == "prod_db\n"
    assert elt(*get).exit_code == 78


def test_an_unknown_environment_lists_the_known_ones(project: Path, elt: Elt) -> None:
    result = elt("--project", str(project), "-e", "stage", "config", "list", "tap-csv")
    assert (result.exit_code, result.stderr) == (
        78,
        'error: plugins.yml: unknown environment "stage". Known: dev, prod.\n',
    )


def test_the_installed_console_script_renders_errors_without_traceback(tmp_path: Path) -> None:
    executable = Path(sys.executable).parent / "elt"
    root = tmp_path / "p"
    init = subprocess.run(
        [executable, "init", str(root)], capture_output=True, text=True, check=False
    )
    assert init.returncode == 0, init.stderr
    (root / "plugins.yml").write_text(BAD_PROJECT)
    run = subprocess.run(
        [executable, "--project", str(root), "config", "list", "tap-csv"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert (run.returncode, run.stdout, run.stderr) == (78, "", BAD_MESSAGE)


KEY = "-----BEGIN PRIVATE KEY-----MIIEvQIBADANBg"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (  # a value that starts with "-" is taken for an option
            ["config", "set", "tap-csv", "private_key", KEY],
            "Error: No such option (the argument is not shown: it may be a value; put -- "
            "before a value that starts with '-').",
        ),
        (
            ["config", "set", "tap-csv", "password", "hunter2", "s3cret-extra"],
            "Error: Got unexpected extra argument (not shown: it may be a value).",
        ),
        (
            ["config", "set", "tap-csv", "password", "hunter2", "s3cret-extra", "more-s3cret"],
            "Error: Got unexpected extra arguments (2, not shown: they may be values).",
        ),
        (
            ["run", "tap-csv", "target-postgres", "--retries", "s3cret-retries"],
            "Error: Invalid value for '--retries': (not shown) is not a valid integer range.",
        ),
        (
            ["run", "tap-csv", "target-postgres", "--retries=s3cret-retries"],
            "Error: Invalid value for '--retries': (not shown) is not a valid integer range.",
        ),
        (
            ["--log-level", "s3cret-level", "config", "list", "tap-csv"],
            "Error: Invalid value for '--log-level': (not shown) is not one of 'debug', 'info', "
            "'warning', 'error'.",
        ),
        (
            ["config", "set", "tap-csv", "password", "--stor", "yml"],
            "Error: No such option (the argument is not shown: it may be a value; put -- before "
            "a value that starts with '-'). (Did you mean one of: '--force', '--store'?)",
        ),
    ],
)
def test_a_usage_error_never_echoes_what_was_typed(
    project: Path, elt: Elt, args: list[str], message: str
) -> None:
    result = elt("--project", str(project), *args)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.splitlines()[-1] == message
    assert result.stderr.startswith("Usage: ")
    for typed in (KEY, "s3cret", "hunter2", "'--stor'"):
        assert typed not in result.stderr


def test_the_console_script_never_echoes_a_value_in_a_usage_error(tmp_path: Path) -> None:
    executable = Path(sys.executable).parent / "elt"
    done = subprocess.run(
        [executable, "--project", str(tmp_path), "config", "set", "tap-csv", "private_key", KEY],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2
    assert "BEGIN PRIVATE KEY" not in done.stderr
    assert "No such option (the argument is not shown" in done.stderr
