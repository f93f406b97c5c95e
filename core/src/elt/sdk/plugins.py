"""Tap and Target bases for elt's plugins: singer-sdk with the fast message path.

They are singer-sdk's ``Tap`` and ``Target`` (standard CLI, config validation, discovery,
catalog selection, state, stream maps, the standard test suites) with two changes:

- messages go through :mod:`elt.sdk.io` (orjson, buffered, flush on every STATE — the SDK
  ends each stream's sync with one — and at exit);
- an :class:`elt.errors.EltError` ends the process with its one-paragraph message on stderr
  and its exit code, not a traceback, so bad input reads the same from every plugin; so
  does a stream map singer-sdk rejects (a :class:`~elt.errors.ConfigError`). That holds for
  ``--discover`` and ``--config`` too, which singer-sdk handles in click callbacks before
  ``invoke``;
- ``--config``, ``--state`` and ``--catalog`` are read by :mod:`elt.sdk.arguments`: inline
  JSON config, a state file of JSON Lines (a shell pipe's), and a missing or malformed file
  reported as configuration (exit 78);
- a config key the plugin does not declare is refused (exit 78, with the closest declared
  name) unless the class's ``setting_rules`` warn of it: :mod:`elt.sdk.settings`.
"""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Callable, Mapping
from typing import Any, ClassVar, TypeVar

import click
import singer_sdk
from singer_sdk.exceptions import ConfigValidationError, MappingError
from singer_sdk.plugin_base import PluginBase, _ConfigInput

from elt.errors import ConfigError, EltError
from elt.sdk import arguments
from elt.sdk.io import INPUT_ERRORS, OrjsonReader, OrjsonWriter, input_error
from elt.sdk.maps import mapping_error
from elt.sdk.settings import SettingRule, check_settings

__all__ = ["Tap", "Target"]


REPORTED_ERRORS: tuple[type[Exception], ...] = (EltError, *INPUT_ERRORS)


_T = TypeVar("_T")


def _invoke_reporting_errors(invoke: Callable[[], _T], logger: Any) -> _T:
    """Run a plugin; on an error a person must act on, log one paragraph and exit."""
    error: EltError | None
    try:
        return invoke()
    except ConfigValidationError as exc:
        problems = "; ".join(str(e) for e in exc.errors) or str(exc)
        error = ConfigError(
            f"the configuration is invalid: {problems}",
            hint="compare it with the settings listed by --about",
        )
    except MappingError as exc:
        # A stream map singer-sdk rejected, in a tap or at a target's start; the SDK has
        # logged the stream it was syncing.
        error = mapping_error(exc)
    except REPORTED_ERRORS as exc:
        error = exc if isinstance(exc, EltError) else input_error(exc)
        if error is None:
            raise
    logger.error("%s", error)
    sys.exit(error.exit_code)


def _config_input(values: tuple[str, ...]) -> _ConfigInput:
    config: dict[str, Any] = {}
    parse_env = False
    for value in values:
        settings = arguments.config_argument(value)
        if settings is None:
            parse_env = True
        else:
            config |= settings
    return _ConfigInput(config=config, parse_env=parse_env)


def _retype_options(command: click.Command, helps: Mapping[str, str]) -> click.Command:
    """Give the named options elt's help and take file options as plain paths (read by
    :mod:`elt.sdk.arguments`, so a missing file is exit 78, not click's usage error)."""
    for param in command.params:
        if isinstance(param, click.Option) and param.name in helps:
            param.help = helps[param.name]
            if param.name != "config":
                param.type = click.Path(dir_okay=False)
    return command


class _SettingsChecked(PluginBase):
    """Refuses undeclared settings (see :mod:`elt.sdk.settings`); shared by Tap and Target."""

    #: settings this plugin knows of but does not implement: refused or warned of
    setting_rules: ClassVar[Mapping[str, SettingRule]] = {}

    @classmethod
    def cb_config(
        cls, ctx: click.Context, param: click.Option, value: tuple[str, ...]
    ) -> _ConfigInput:
        """``--config`` values as :mod:`elt.sdk.arguments` reads them; errors reported."""
        return _invoke_reporting_errors(lambda: _config_input(value), cls.logger)

    def check_settings(self) -> None:
        """Raise a :class:`ConfigError` for settings this plugin refuses: every undeclared
        top-level key that ``setting_rules`` does not warn of. A plugin with nested
        settings to check too extends it (tap-http)."""
        check_settings(
            self.name,
            self._config,
            declared=self.config_jsonschema.get("properties", {}),
            rules=self.setting_rules,
            logger=self.logger,
        )

    def precheck_config(self) -> None:
        """Raise a :class:`ConfigError` for a setting this plugin explains better than its
        JSON Schema would (tap-postgres: LOG_BASED, which the schema would only call not an
        allowed value); run before the schema check. None by default."""

    def _validate_config(self, *, raise_errors: bool = True) -> list[str]:
        try:
            self.precheck_config()
        except ConfigError as exc:
            if raise_errors:
                raise
            return [str(exc), *self._checked_config(raise_errors=False)]
        return self._checked_config(raise_errors=raise_errors)

    def _checked_config(self, *, raise_errors: bool) -> list[str]:
        """singer-sdk's schema check, then :meth:`check_settings`."""
        errors = super()._validate_config(raise_errors=raise_errors)
        try:
            self.check_settings()
        except ConfigError as exc:
            if raise_errors:
                raise
            self.logger.warning("%s", exc)
            errors.append(str(exc))
        return errors


class Tap(_SettingsChecked, singer_sdk.Tap):
    """A singer-sdk tap writing messages with :class:`OrjsonWriter`."""

    message_writer_class = OrjsonWriter

    def check_selected_streams(self) -> None:
        """Raise a :class:`ConfigError` for what the selected streams cannot be synced as
        (tap-postgres: a LOG_BASED stream), all in one paragraph; called before a sync's
        first message and before a plan. None by default."""

    def _set_compatible_replication_methods(self) -> None:
        super()._set_compatible_replication_methods()
        self.check_selected_streams()

    @classmethod
    def invoke(cls, *args: Any, **kwargs: Any) -> None:
        def run() -> None:
            # --state and --catalog arrive as paths (see get_singer_command).
            for option, read in (
                ("state", arguments.read_state_file),
                ("catalog", arguments.read_catalog_file),
            ):
                if isinstance(kwargs.get(option), str):
                    kwargs[option] = io.StringIO(json.dumps(read(kwargs[option])))
            super(Tap, cls).invoke(*args, **kwargs)

        _invoke_reporting_errors(run, cls.logger)

    @classmethod
    def get_singer_command(cls) -> click.Command:
        return _retype_options(
            super().get_singer_command(),
            {
                "config": arguments.CONFIG_HELP,
                "state": arguments.STATE_HELP,
                "catalog": arguments.CATALOG_HELP,
            },
        )

    @classmethod
    def cb_discover(cls, ctx: click.Context, param: click.Option, value: bool) -> None:
        """``--discover``, with errors reported as :meth:`invoke` reports them: singer-sdk
        runs discovery in this click callback, outside ``invoke``. ``run_discovery`` itself
        still raises, for callers of the Python API."""
        _invoke_reporting_errors(lambda: super(Tap, cls).cb_discover(ctx, param, value), cls.logger)


class Target(_SettingsChecked, singer_sdk.Target):
    """A singer-sdk target reading messages with :class:`OrjsonReader`."""

    message_reader_class = OrjsonReader

    @classmethod
    def invoke(cls, *args: Any, **kwargs: Any) -> None:
        _invoke_reporting_errors(lambda: super(Target, cls).invoke(*args, **kwargs), cls.logger)

    @classmethod
    def get_singer_command(cls) -> click.Command:
        return _retype_options(super().get_singer_command(), {"config": arguments.CONFIG_HELP})
