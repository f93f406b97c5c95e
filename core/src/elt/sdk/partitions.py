"""The tap's side of :mod:`elt.protocol.partitions`: ``--partitions`` and ``--partition FILE``.

A tap on :class:`PartitionedTap` lists the capability ``elt-partitions`` in ``--about`` and
answers both flags; its streams say how they are cut by implementing
:class:`PartitionedStream`'s two hooks (a stream that does not is left out of every plan,
so it runs as one unit). What is shared lives here:

- ``--partitions`` builds the tap as a sync would (config, catalog, state), asks every
  selected stream for its plan and writes ``{"streams": {…}}`` to stdout, exit 0. A stream
  that cannot be planned (the hook returns None) is simply not listed.
- ``--partition FILE`` reads a :class:`~elt.protocol.partitions.PartitionRequest`; a file
  that is missing, not JSON, or has a field of the wrong kind is one
  :class:`~elt.errors.ConfigError` (exit 78) naming the file and the field, and so is a
  stream the catalog does not select or a partition the stream's planner would not produce
  (:meth:`PartitionedStream.check_partition`). Then only that stream is synced, with
  :attr:`PartitionedStream.partition` set: it reads the partition's rows up to ``bound``,
  its records carry the request's ``version``, and it sends no ACTIVATE_VERSION (the
  coordinator does, once every partition is loaded). The input state is not echoed first,
  as ``sync_all`` does: the unit's only STATE is the stream's own last one, the bookmark
  at ``bound``.

singer-sdk's CLI is extended as :mod:`elt.sdk.plugins` extends it: two more click options
on ``get_singer_command``, handled in ``invoke`` with errors reported in one paragraph.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import click
from singer_sdk import Stream
from singer_sdk.helpers.capabilities import CapabilitiesEnum
from singer_sdk.plugin_base import _ConfigInput

from elt.errors import ConfigError
from elt.protocol.partitions import PARTITION_FLAG, PARTITIONS, PLAN_FLAG, PartitionRequest
from elt.sdk import arguments
from elt.sdk.io import OrjsonWriter
from elt.sdk.plugins import Tap, _invoke_reporting_errors

__all__ = [
    "ELT_PARTITIONS",
    "PartitionedStream",
    "PartitionedTap",
    "StreamPlan",
    "partition_field_error",
    "read_partition_request",
]


class PartitionCapabilities(CapabilitiesEnum):
    """The capability a tap lists when it answers ``--partitions``."""

    #: plans partitions and reads one (:mod:`elt.protocol.partitions`)
    PARTITIONS = PARTITIONS


ELT_PARTITIONS = PartitionCapabilities.PARTITIONS

PLAN_HELP = (
    "Write the plan of partitions of the selected streams (JSON) to stdout and exit; "
    "streams the tap cannot cut are left out."
)
PARTITION_HELP = (
    "Sync one partition: a JSON file {stream, partition, bound, version} as --partitions "
    "planned it. Only that stream is read, up to bound, without ACTIVATE_VERSION."
)


@dataclass(frozen=True)
class StreamPlan:
    """One stream's entry in a plan: its partitions (each with an ``id``) and its bound."""

    partitions: list[dict[str, Any]]
    bound: Any = None

    def as_dict(self) -> dict[str, Any]:
        return {"partitions": self.partitions, "bound": self.bound}


def partition_field_error(field: str, message: str, hint: str | None = None) -> ConfigError:
    """A refused request, naming the field (``partition.after``); the tap adds the file."""
    return ConfigError(message, where=field, hint=hint)


class PartitionedStream(Stream):
    """A stream a tap can cut into partitions; both hooks are the stream's own."""

    #: the request being read (``--partition``); None in an ordinary sync
    partition: PartitionRequest | None = None

    def plan_partitions(self) -> StreamPlan | None:
        """This stream's partitions and bound now, or None when it cannot be cut (it then
        runs as one unit)."""
        return None

    def check_partition(self, request: PartitionRequest) -> None:
        """Raise :func:`partition_field_error` unless ``request`` is a partition this
        stream's planner produces (the same id for the same content) and ``bound`` is of
        the kind its plans have."""
        raise partition_field_error(
            "partition", f"stream {self.name!r} is not cut into partitions by this tap"
        )

    def finish_partition_state(self, state: dict[str, Any]) -> None:
        """Make ``state`` the bookmark a partition read ends with, once singer-sdk has
        finalized it (by default as it is; tap-http's date windows end at the bound)."""

    def begin_table_version(self, version: int) -> None:
        """singer-sdk starts a FULL_TABLE sync with ``version`` (the stream's version now):
        by default ACTIVATE_VERSION is sent at once. A stream that sends it once the table
        is read instead (tap-postgres) takes the version here and calls
        :meth:`activate_version` at its end."""
        self.activate_version(version)

    def activate_version(self, version: int) -> None:
        """Send ACTIVATE_VERSION ``version`` (through the stream maps), except in a partition
        read: the coordinator sends the one ACTIVATE_VERSION once every partition is loaded."""
        if self.partition is None:
            super()._write_activate_version_message(version)

    def _write_activate_version_message(self, full_table_version: int) -> None:
        if self.partition is None:
            self.begin_table_version(full_table_version)
        else:
            self._stream_version = self.partition.version

    def _finalize_state(self, state: dict[str, Any] | None = None) -> None:
        super()._finalize_state(state)
        if self.partition is not None and state is not None:
            self.finish_partition_state(state)


class PartitionedTap(Tap):
    """A tap answering ``--partitions`` and ``--partition FILE`` (see the module docstring)."""

    capabilities: ClassVar[list[CapabilitiesEnum]] = [*Tap.capabilities, ELT_PARTITIONS]

    @classmethod
    def get_singer_command(cls) -> click.Command:
        command = super().get_singer_command()
        command.params.extend(
            [
                click.Option([PLAN_FLAG, "plan"], is_flag=True, help=PLAN_HELP),
                click.Option(
                    [PARTITION_FLAG, "partition_file"],
                    type=click.Path(dir_okay=False),
                    help=PARTITION_HELP,
                ),
            ]
        )
        return command

    @classmethod
    def invoke(
        cls, *args: Any, plan: bool = False, partition_file: str | None = None, **kwargs: Any
    ) -> None:
        if kwargs.get("about") or not (plan or partition_file):
            super().invoke(*args, **kwargs)
            return

        def run() -> None:
            if plan and partition_file:
                raise ConfigError(f"{PLAN_FLAG} and {PARTITION_FLAG} exclude each other")
            request = None if partition_file is None else read_partition_request(partition_file)
            cls.print_version(print_fn=cls.logger.info)
            tap = cls._from_arguments(kwargs)
            if request is None:
                tap.write_plan()
            else:
                tap.sync_partition(request, source=str(partition_file))

        _invoke_reporting_errors(run, cls.logger)

    @classmethod
    def _from_arguments(cls, kwargs: Mapping[str, Any]) -> PartitionedTap:
        """The tap a sync with these ``--config``/``--state``/``--catalog`` values would run."""
        config = kwargs.get("config") or _ConfigInput()
        state, catalog = kwargs.get("state"), kwargs.get("catalog")
        return cls(
            config=config.config,
            state=None if state is None else arguments.read_state_file(state),
            catalog=None if catalog is None else arguments.read_catalog_file(catalog),
            parse_env_config=config.parse_env,
            validate_config=True,
        )

    def plan(self) -> dict[str, Any]:
        """The plan of every selected stream that can be cut, as ``--partitions`` writes it."""
        self._set_compatible_replication_methods()
        streams: dict[str, Any] = {}
        for stream in self.streams.values():
            if not stream.selected or stream.parent_stream_type:
                continue
            planned = stream.plan_partitions() if isinstance(stream, PartitionedStream) else None
            if planned is not None:
                streams[stream.tap_stream_id] = planned.as_dict()
        return {"streams": streams}

    def write_plan(self) -> None:
        sys.stdout.write(json.dumps(self.plan(), separators=(",", ":")) + "\n")
        sys.stdout.flush()

    def sync_partition(self, request: PartitionRequest, *, source: str) -> None:
        """Sync the one partition ``request`` names (``source``: its file, for errors)."""
        stream = self.streams.get(request.stream)
        if stream is None or not stream.selected or stream.parent_stream_type:
            raise ConfigError(
                f"the partition's stream {request.stream!r} is not a stream the catalog selects",
                where=f"{source} field 'stream'",
                hint=f"plan with {PLAN_FLAG} using the same catalog",
            )
        if not isinstance(stream, PartitionedStream):
            raise ConfigError(
                f"stream {request.stream!r} is not cut into partitions by {self.name}",
                where=f"{source} field 'stream'",
            )
        self._reset_state_progress_markers()
        self._set_compatible_replication_methods()
        try:
            stream.check_partition(request)
        except ConfigError as exc:
            raise ConfigError(
                exc.message,
                where=f"{source} field {exc.where!r}" if exc.where else source,
                hint=exc.hint or f"use a partition {PLAN_FLAG} wrote, unchanged",
            ) from None
        stream.partition = request
        stream._stream_version = request.version
        stream.sync()
        stream.finalize_state_progress_markers()
        stream.log_sync_costs()
        writer = self.message_writer
        if isinstance(writer, OrjsonWriter):
            writer.flush()


_FIELDS = {"stream", "partition", "bound", "version"}


def read_partition_request(value: str) -> PartitionRequest:
    """The request a ``--partition`` file holds, each field checked for its kind."""
    path = Path(value)
    document = arguments.read_json_object(path, "partition file", f"write it from {PLAN_FLAG}")

    def refuse(field: str, expected: str) -> ConfigError:
        return ConfigError(
            f"expected {expected}",
            where=f"{path} field {field!r}",
            hint=f"the file holds {{stream, partition, bound, version}} as {PLAN_FLAG} "
            "planned them",
        )

    unknown = sorted(set(document) - _FIELDS)
    if unknown:
        raise refuse(unknown[0], "no such field (stream, partition, bound and version are)")
    stream = document.get("stream")
    if not isinstance(stream, str) or not stream:
        raise refuse("stream", "the stream's tap_stream_id (a non-empty string)")
    partition = document.get("partition")
    if not isinstance(partition, dict):
        raise refuse("partition", "the partition object of the plan")
    identifier = partition.get("id")
    if not isinstance(identifier, str) or not identifier:
        raise refuse("partition.id", "the partition's id (a non-empty string)")
    version = document.get("version")
    if version is not None and (isinstance(version, bool) or not isinstance(version, int)):
        raise refuse("version", "an integer table version or null")
    return PartitionRequest(
        stream=stream, partition=partition, bound=document.get("bound"), version=version
    )
