"""``LeanTarget``: singer-sdk's target shape in front of one object that loads every message.

singer-sdk gives a target its standard executable (``--config``, ``--about``, ``--input``,
env-var config, the standard target tests). Its per-record sink path — a copy, jsonschema
validation and type conformance per record, a sink call — runs at a fraction of what a
database or a file takes, so our targets override the message callbacks and hand every
message to one :class:`Load` (target-postgres' COPY loader, the lake writer), opened on the
first message so ``--about`` and an empty input need no database or bucket.

What they share lives here: inline ``stream_maps`` and flattening in front of the load
(:class:`~elt.sdk.maps.StreamMaps`, the record callback chosen once, so a run without maps
calls the load directly), a RECORD before its SCHEMA refused, STATEs written to stdout only
when the load says they are committed, a failure or a signal aborting what is open (exit
128 + signal, where singer-sdk would exit 0).
"""

from __future__ import annotations

import logging
import signal
from collections.abc import Callable, Mapping
from types import FrameType
from typing import IO, Any, ClassVar, Protocol

from singer_sdk.exceptions import RecordsWithoutSchemaException
from singer_sdk.helpers.capabilities import CapabilitiesEnum, PluginCapabilities

from elt.errors import Interrupted
from elt.protocol import UnitIdentity, dumps
from elt.sdk.io import OrjsonReader, StdoutSink
from elt.sdk.maps import StreamMaps, add_map_settings, maps_configured
from elt.sdk.plugins import Target
from elt.sdk.unit import UNITS, unit_from_env

__all__ = ["LEAN_TARGET_CAPABILITIES", "LeanTarget", "Load"]

#: what every target on LeanTarget supports; a target lists these plus its own
LEAN_TARGET_CAPABILITIES: tuple[CapabilitiesEnum, ...] = (
    PluginCapabilities.ABOUT,
    PluginCapabilities.STRUCTURED_LOGGING,
    PluginCapabilities.ACTIVATE_VERSION,
    PluginCapabilities.BATCH,
    PluginCapabilities.STREAM_MAPS,
    PluginCapabilities.FLATTENING,
    UNITS,
)

logger = logging.getLogger(__name__)

Record = dict[str, Any]


class Load(Protocol):
    """What a lean target hands its messages to; it calls ``emit_state`` after commits."""

    def schema(self, message: Mapping[str, Any]) -> None: ...

    def record(self, message: Record) -> None: ...

    def state(self, value: Mapping[str, Any]) -> None: ...

    def activate_version(self, message: Mapping[str, Any]) -> None: ...

    def finish(self) -> object:
        """Commit everything and emit the last STATE (what it returns is its own)."""
        ...

    def abort(self) -> None:
        """Roll back or discard what is not committed; idempotent."""
        ...


class LeanTarget(Target):
    """A singer-sdk target whose messages go to one :class:`Load`; see the module docstring.

    A subclass implements :meth:`open_load` and says in :attr:`aborted_note` what a stop
    leaves behind; its BATCH handling is its own :meth:`process_batch` (:attr:`on_record` is
    the mapped record callback).
    """

    aborted_note: ClassVar[str] = "what was not committed was rolled back"

    def __init__(self, **kwargs: Any) -> None:
        """singer-sdk's ``Target(config=…, parse_env_config=…, validate_config=…)``."""
        super().__init__(**kwargs)
        self._load: Load | None = None
        self.on_record: Callable[[Record], None] = self._record_before_schema
        self.maps = StreamMaps(self.mapper) if maps_configured(self.config) else None
        self._stdout = StdoutSink()
        #: the unit of a split run this process loads (``ELT_UNIT``), or None
        self.unit: UnitIdentity | None = unit_from_env()

    @classmethod
    def append_builtin_config(cls, config_jsonschema: dict[str, Any]) -> None:
        """Add only the stream map and flattening settings: the SDK's other built-ins need
        its sinks, and the lean path honours exactly the settings ``--about`` lists."""
        add_map_settings(config_jsonschema)

    def open_load(self, reader: OrjsonReader) -> Load:
        """The run's load, connected or opened now (subclasses)."""
        raise NotImplementedError(f"{type(self).__name__} must implement open_load()")

    @property
    def load(self) -> Load:
        """The run's load, opened on first use."""
        if self._load is None:
            reader = self.message_reader
            if not isinstance(reader, OrjsonReader):
                raise TypeError(f"{self.name} needs its OrjsonReader to name lines")
            self._load = load = self.open_load(reader)
            self.on_record = load.record if self.maps is None else self.maps.records_to(load.record)
        return self._load

    # --- the message loop ----------------------------------------------------------------

    def process_lines(self, file_input: IO[str] | None = None) -> Any:  # type: ignore[misc]
        """Read every message; any error aborts the open load before it propagates.

        singer-sdk marks this final for type checkers only; it is the one place that sees
        errors of the reader (a malformed line) as well as of the load, and both must abort
        it (an open S3 multipart upload or COPY would otherwise linger).
        """
        try:
            return super().process_lines(file_input)
        except BaseException:
            self._abort()
            raise

    def process_endofpipe(self) -> None:
        """Commit everything and emit the last STATE."""
        load, self._load = self._load, None
        self.on_record = self._record_before_schema
        if load is None:
            return
        try:
            load.finish()
        except BaseException:
            load.abort()
            raise

    def process_batch(self, message_dict: dict[str, Any]) -> None:
        """Load the files a BATCH message names (subclasses: singer-sdk's handling needs
        its sinks, which a lean target has none of)."""
        raise NotImplementedError(f"{type(self).__name__} must implement process_batch()")

    def _process_batch_message(self, message_dict: dict[str, Any]) -> None:
        self.process_batch(message_dict)

    def _process_schema_message(self, message_dict: dict[str, Any]) -> None:
        load = self.load
        if self.maps is None:
            load.schema(message_dict)
            return
        for schema in self.maps.schema(message_dict):
            load.schema(schema)

    def _process_record_message(self, message_dict: dict[str, Any]) -> None:
        self.on_record(message_dict)

    def _record_before_schema(self, message_dict: dict[str, Any]) -> None:
        # the reader's note names the line and the stream (see elt.sdk.io)
        raise RecordsWithoutSchemaException(
            "a RECORD arrived before its stream's SCHEMA message (the tap must send a "
            "stream's SCHEMA before its records)"
        )

    def _process_state_message(self, message_dict: dict[str, Any]) -> None:
        if self._load is None:
            # Nothing was received before it, so nothing needs committing first.
            self._write_state(message_dict["value"])
        else:
            self._load.state(message_dict["value"])

    def _process_activate_version_message(self, message_dict: dict[str, Any]) -> None:
        load = self.load
        if self.maps is None:
            load.activate_version(message_dict)
            return
        for message in self.maps.activate_version(message_dict):
            load.activate_version(message)

    def _handle_termination(self, signum: int, frame: FrameType | None) -> None:
        """Stop at once on SIGINT/SIGTERM, exiting 128 + the signal number.

        singer-sdk would exit 0 here, which a scheduler reads as success. The exception
        unwinds through :meth:`process_lines`, which aborts the load; the STATEs it held are
        never written, so a rerun continues from the last one that was.
        """
        raise Interrupted(
            f"stopped by {signal.Signals(signum).name}; {self.aborted_note}",
            signal_number=signum,
            hint="rerun to continue from the last STATE written",
        )

    def _abort(self) -> None:
        load, self._load = self._load, None
        self.on_record = self._record_before_schema
        if load is not None:
            load.abort()

    def _write_state(self, state: Mapping[str, Any]) -> None:
        self._stdout.write(dumps(state) + b"\n")
        self._stdout.flush()
        logger.debug("Emitted STATE after commit")
