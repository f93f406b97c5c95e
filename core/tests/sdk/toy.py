"""A minimal tap and target on elt.sdk, to exercise the fast message path end to end."""

from __future__ import annotations

import json
from collections.abc import Iterable
from decimal import Decimal
from pathlib import Path
from typing import Any

from singer_sdk import Stream
from singer_sdk import typing as th
from singer_sdk.sinks import BatchSink

from elt.errors import ConfigError
from elt.protocol.partitions import PartitionRequest
from elt.sdk import Tap, Target
from elt.sdk.partitions import PartitionedStream, PartitionedTap, StreamPlan, partition_field_error


class NumbersStream(Stream):
    """``count`` rows with an id, a label, a decimal and a timestamp bookmark."""

    name = "numbers"
    primary_keys = ("id",)
    replication_key = "updated_at"
    schema = th.PropertiesList(
        th.Property("id", th.IntegerType, required=True),
        th.Property("label", th.StringType),
        th.Property("amount", th.NumberType),
        th.Property("updated_at", th.DateTimeType),
    ).to_dict()

    def get_records(self, context: dict[str, Any] | None) -> Iterable[dict[str, Any]]:
        for i in range(int(self.config.get("count", 10))):
            yield {
                "id": i,
                "label": f"número {i}",
                "amount": Decimal("12345678901234.123456789"),
                "updated_at": f"2026-01-01T00:00:{i % 60:02d}+00:00",
            }


class TapToy(Tap):
    """Toy tap for tests."""

    name = "tap-toy"
    config_jsonschema = th.PropertiesList(th.Property("count", th.IntegerType)).to_dict()

    def discover_streams(self) -> list[Stream]:
        return [NumbersStream(self)]


class TapToyUnreachable(TapToy):
    """Toy tap whose discovery fails as a real source's would: with an EltError."""

    name = "tap-toy-unreachable"

    def discover_streams(self) -> list[Stream]:
        raise ConfigError(
            "the toy source has no streams",
            where="tap-toy-unreachable config",
            hint="give it some",
        )


class JsonlSink(BatchSink):
    """Appends each batch of records to ``<output_dir>/<stream>.jsonl``."""

    def process_batch(self, context: dict[str, Any]) -> None:
        path = Path(self.config["output_dir"]) / f"{self.stream_name}.jsonl"
        with path.open("a", encoding="utf-8") as out:
            for record in context["records"]:
                out.write(json.dumps(record, default=str) + "\n")


class TargetToy(Target):
    """Toy target for tests."""

    name = "target-toy"
    config_jsonschema = th.PropertiesList(
        th.Property("output_dir", th.StringType, required=True)
    ).to_dict()
    default_sink_class = JsonlSink


class ParityStream(PartitionedStream):
    """``count`` ids in two partitions, the even and the odd ones; FULL_TABLE."""

    name = "parity"
    primary_keys = ("id",)
    schema = th.PropertiesList(th.Property("id", th.IntegerType, required=True)).to_dict()

    def plan_partitions(self) -> StreamPlan | None:
        return StreamPlan([{"id": "even", "rest": 0}, {"id": "odd", "rest": 1}])

    def check_partition(self, request: PartitionRequest) -> None:
        if request.partition.get("id") not in ("even", "odd"):
            raise partition_field_error("partition.id", "expected even or odd")

    def get_records(self, context: dict[str, Any] | None) -> Iterable[dict[str, Any]]:
        rest = None if self.partition is None else self.partition.partition.get("rest")
        for i in range(int(self.config.get("count", 10))):
            if rest is None or i % 2 == rest:
                yield {"id": i}


class TapToyPartitioned(PartitionedTap):
    """Toy tap with one stream cut into partitions and one that is not."""

    name = "tap-toy-partitioned"
    config_jsonschema = th.PropertiesList(th.Property("count", th.IntegerType)).to_dict()

    def discover_streams(self) -> list[Stream]:
        return [ParityStream(self), NumbersStream(self)]
