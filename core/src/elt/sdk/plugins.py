"""Tap and Target bases for elt's plugins: singer-sdk with the fast message path.

They are singer-sdk's ``Tap`` and ``Target`` (standard CLI, config validation, discovery,
catalog selection, state, stream maps, the standard test suites) with two changes:

- messages go through :mod:`elt.sdk.io` (orjson, buffered, flush on every STATE — the SDK
  ends each stream's sync with one — and at exit);
- an :class:`elt.errors.EltError` ends the process with its one-paragraph message on stderr
  and its exit code, not a traceback, so bad input reads the same from every plugin; so
  does a stream map singer-sdk rejects (a :class:`~elt.errors.ConfigError`). That holds for
  ``--discover`` too, which singer-sdk runs in a click callback before ``invoke``.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import click
import singer_sdk
from singer_sdk.exceptions import ConfigValidationError, MappingError

from elt.errors import ConfigError, EltError
from elt.sdk.io import INPUT_ERRORS, OrjsonReader, OrjsonWriter, input_error
from elt.sdk.maps import mapping_error

__all__ = ["Tap", "Target"]


REPORTED_ERRORS: tuple[type[Exception], ...] = (EltError, *INPUT_ERRORS)


def _invoke_reporting_errors(invoke: Callable[[], None], logger: Any) -> None:
    """Run a plugin; on an error a person must act on, log one paragraph and exit."""
    error: EltError | None
    try:
        invoke()
        return
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


class Tap(singer_sdk.Tap):
    """A singer-sdk tap writing messages with :class:`OrjsonWriter`."""

    message_writer_class = OrjsonWriter

    @classmethod
    def invoke(cls, *args: Any, **kwargs: Any) -> None:
        _invoke_reporting_errors(lambda: super(Tap, cls).invoke(*args, **kwargs), cls.logger)

    @classmethod
    def cb_discover(cls, ctx: click.Context, param: click.Option, value: bool) -> None:
        """``--discover``, with errors reported as :meth:`invoke` reports them: singer-sdk
        runs discovery in this click callback, outside ``invoke``. ``run_discovery`` itself
        still raises, for callers of the Python API."""
        _invoke_reporting_errors(lambda: super(Tap, cls).cb_discover(ctx, param, value), cls.logger)


class Target(singer_sdk.Target):
    """A singer-sdk target reading messages with :class:`OrjsonReader`."""

    message_reader_class = OrjsonReader

    @classmethod
    def invoke(cls, *args: Any, **kwargs: Any) -> None:
        _invoke_reporting_errors(lambda: super(Target, cls).invoke(*args, **kwargs), cls.logger)
