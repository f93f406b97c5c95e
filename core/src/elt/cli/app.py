"""The root ``elt`` command: global options, the command registry, and error rendering.

Registering a command is one line in :data:`COMMANDS` (``"name": "module:attribute"``); the
module is imported only when the command runs or help lists it, so ``elt --version`` and a
run do not pay for every command's imports.

This is the one place where errors become output and exit codes. An :class:`EltError`
prints ``error: <what, where, what to do>`` on stderr and exits with its class's code
(sysexits, see :mod:`elt.errors`); anything else is a bug: a short message, exit 1. The
traceback is shown only with ``--log-level debug``. Click's own usage errors keep click's
rendering and exit code 2, but never quote what was typed (:mod:`elt.cli.usage`): a
mistaken argument may be a secret.
"""

from __future__ import annotations

import importlib
import logging
import sys
import traceback
from collections.abc import Mapping, Sequence
from contextvars import ContextVar
from pathlib import Path
from typing import Any

import click

from elt import DISTRIBUTION
from elt.cli.session import Session
from elt.cli.usage import without_values
from elt.errors import EltError

__all__ = ["COMMANDS", "EltGroup", "cli", "main"]

COMMANDS: dict[str, str] = {
    "add": "elt.cli.add:add",
    "config": "elt.cli.config:config",
    "init": "elt.cli.init:init",
    "inspect": "elt.cli.stream:inspect",
    "install": "elt.cli.install:install",
    "invoke": "elt.cli.invoke:invoke",
    "job": "elt.cli.job:job",
    "logs": "elt.cli.runs:logs",
    "remove": "elt.cli.remove:remove",
    "run": "elt.cli.run:run",
    "runs": "elt.cli.runs:runs",
    "schedule": "elt.cli.schedule:schedule",
    "scheduler": "elt.cli.scheduler:scheduler",
    "select": "elt.cli.select:select",
    "schema": "elt.cli.schema:schema",
    "state": "elt.cli.state:state",
    "ui": "elt.cli.ui:ui",
}

LOG_LEVELS = ("debug", "info", "warning", "error")

# the command line of the invocation under way, for usage errors to leave out
_TYPED: ContextVar[Sequence[str]] = ContextVar("typed", default=())


class EltGroup(click.Group):
    """A click group with lazily imported commands that renders errors for all of them."""

    def __init__(
        self, *args: Any, lazy_commands: Mapping[str, str] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.lazy_commands = dict(lazy_commands or {})

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy_commands})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.lazy_commands:
            return super().get_command(ctx, cmd_name)
        module_name, attribute = self.lazy_commands[cmd_name].split(":")
        command = getattr(importlib.import_module(module_name), attribute)
        if not isinstance(command, click.Command):
            raise TypeError(f"{self.lazy_commands[cmd_name]} is not a click command")
        return command

    def main(self, args: Sequence[str] | None = None, *rest: Any, **extra: Any) -> Any:
        typed = _TYPED.set(tuple(sys.argv[1:] if args is None else args))
        try:
            return super().main(args, *rest, **extra)
        finally:
            _TYPED.reset(typed)

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: Any,
    ) -> click.Context:
        try:
            return super().make_context(info_name, args, parent, **extra)
        except click.UsageError as error:
            raise without_values(error, _TYPED.get()) from None

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except click.UsageError as error:
            raise without_values(error, _TYPED.get()) from None
        except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except EltError as error:
            _show_traceback(ctx, error)
            click.echo(f"error: {error}", err=True)
            for note in getattr(error, "__notes__", ()):  # what a command adds to the error
                click.echo(note, err=True)
            ctx.exit(error.exit_code)
        except Exception as error:
            _show_traceback(ctx, error)
            click.echo(f"error: unexpected {type(error).__name__}: {error}", err=True)
            click.echo(
                "This is a bug in elt; please report it with the output of "
                "`elt --log-level debug ...`.",
                err=True,
            )
            ctx.exit(1)


def _show_traceback(ctx: click.Context, error: BaseException) -> None:
    if str(ctx.params.get("log_level", "")).lower() == "debug":
        click.echo("".join(traceback.format_exception(error)).rstrip(), err=True)


class _StderrHandler(logging.Handler):
    """Writes through click, to whatever stderr is at the time (CliRunner swaps it)."""

    def emit(self, record: logging.LogRecord) -> None:
        click.echo(self.format(record), err=True)


def _configure_logging(level: str) -> None:
    logger = logging.getLogger("elt")
    logger.setLevel(level.upper())
    if not any(isinstance(h, _StderrHandler) for h in logger.handlers):
        handler = _StderrHandler()
        handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        logger.addHandler(handler)


@click.group(
    cls=EltGroup,
    lazy_commands=COMMANDS,
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.option(
    "--project",
    "project_dir",
    type=click.Path(file_okay=True, dir_okay=True, path_type=Path),
    envvar="ELT_PROJECT_ROOT",
    help="Project directory (holding plugins.yml). Default: found from here upwards.",
)
@click.option(
    "--environment",
    "-e",
    envvar="ELT_ENVIRONMENT",
    help="Environment to use. Default: default_environment in plugins.yml.",
)
@click.option(
    "--log-level",
    type=click.Choice(LOG_LEVELS, case_sensitive=False),
    default="warning",
    show_default=True,
    envvar="ELT_LOG_LEVEL",
    help="Log detail on stderr; debug also shows tracebacks.",
)
@click.version_option(
    None, "--version", package_name=DISTRIBUTION, prog_name="elt", message="%(prog)s %(version)s"
)
@click.pass_context
def cli(
    ctx: click.Context, project_dir: Path | None, environment: str | None, log_level: str
) -> None:
    """elt: extract and load data with Singer taps and targets.

    A project is a directory with a plugins.yml. Start one with `elt init`, add plugins
    with `elt add`, inspect or change their settings with `elt config`, and move data
    with `elt run`.

    \b
    Examples:
      elt init my-project
      elt add tap tap-csv --pip-url ./taps/tap-csv
      elt -e prod config list target-postgres
      elt -e prod run tap-csv target-postgres
    """
    _configure_logging(log_level)
    given = ctx.get_parameter_source("environment") is click.core.ParameterSource.COMMANDLINE
    ctx.obj = Session(project_dir, environment, log_level.lower(), environment_given=given)


def main() -> None:
    """Console-script entry point (``elt = "elt.cli:main"``)."""
    cli(prog_name="elt")
