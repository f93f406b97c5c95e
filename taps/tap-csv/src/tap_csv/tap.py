"""``TapCsv``: the ``tap-csv`` executable.

The settings are those of MeltanoLabs' tap-csv (``files`` with ``entity``, ``path``,
``keys``, ``encoding`` and the CSV dialect options; ``csv_files_definition``;
``add_metadata_columns``), so its users can switch without touching their config, plus
what a file-based tap needs: globs and folders in ``path``, ``.gz`` input, declared
``fieldnames`` and ``schema``, a ``replication_key``, ``null_values`` and
``infer_sample_rows``. ``file``, a key of MeltanoLabs' own example that its tap never
reads, is refused with what to use instead (:data:`tap_csv.settings.ENTRY_RULES`).
README.md lists every setting, and a test keeps that list true.
"""

from __future__ import annotations

from typing import Any, ClassVar

from singer_sdk import typing as th
from singer_sdk.helpers.capabilities import CapabilitiesEnum

from elt.sdk.csvbatch import CSV_BATCH, batch_config_property
from elt.sdk.partitions import PartitionedTap
from tap_csv.inference import discover
from tap_csv.settings import DEFAULT_SAMPLE_ROWS, load_entities
from tap_csv.streams import CsvStream

__all__ = ["TapCsv"]


def _dialect_properties() -> list[th.Property[Any]]:
    """Settings an entry takes, or the top level gives as every entry's default."""
    return [
        th.Property(
            "encoding",
            th.StringType,
            description="Text encoding of the files (a Python codec name). Default utf-8; "
            "a UTF-8 byte-order mark is skipped.",
        ),
        th.Property("delimiter", th.StringType, description="Field separator. Default ','."),
        th.Property("quotechar", th.StringType, description="Quote character. Default '\"'."),
        th.Property(
            "escapechar",
            th.StringType,
            description="Character that escapes the delimiter or quote. Default none.",
        ),
        th.Property(
            "doublequote",
            th.BooleanType,
            description="A quote inside a quoted field is written twice. Default true.",
        ),
        th.Property(
            "skipinitialspace",
            th.BooleanType,
            description="Ignore spaces right after a delimiter. Default false.",
        ),
        th.Property(
            "strict",
            th.BooleanType,
            description="Fail on malformed quoting instead of reading on. Default false.",
        ),
        th.Property(
            "null_values",
            th.ArrayType(th.StringType),
            description='Texts read as null in every column. Default [""]; an empty field '
            "is null in integer, number, boolean and date columns whatever this says.",
        ),
        th.Property(
            "infer_sample_rows",
            th.IntegerType,
            description=f"Rows read to infer column types. Default {DEFAULT_SAMPLE_ROWS}.",
        ),
    ]


_FILE_ENTRY = th.ObjectType(
    th.Property("entity", th.StringType, description="Stream name."),
    th.Property(
        "path",
        th.StringType,
        description="A file, a folder (its .csv, .tsv, .csv.gz, .tsv.gz files, recursively) "
        "or a glob such as data/**/*.csv.",
    ),
    th.Property("keys", th.ArrayType(th.StringType), description="Primary key columns."),
    th.Property(
        "fieldnames",
        th.ArrayType(th.StringType),
        description="Column names, for files without a header row.",
    ),
    th.Property(
        "has_header",
        th.BooleanType,
        description="Whether the first row is a header. Default: true without fieldnames, "
        "false with them (true with fieldnames replaces the file's header).",
    ),
    th.Property(
        "schema",
        th.ObjectType(additional_properties=True),
        description="JSON Schema properties declaring column types; a value that does not "
        "fit its declared type is an error.",
    ),
    th.Property(
        "replication_key",
        th.StringType,
        description="Column whose highest value is bookmarked; rows below the bookmark are "
        "skipped on the next run.",
    ),
    *_dialect_properties(),
)


_BATCH_CONFIG = batch_config_property(
    csv="files target-postgres loads with COPY as they are (the fast path).",
    batch_size="Rows per csv file.",
)


class TapCsv(PartitionedTap):
    """Singer tap reading CSV files, one stream per configured entity."""

    name = "tap-csv"
    package_name = "elt-tap-csv"  # for --version and --about
    capabilities: ClassVar[list[CapabilitiesEnum]] = [*PartitionedTap.capabilities, CSV_BATCH]

    config_jsonschema = th.PropertiesList(
        th.Property(
            "files",
            th.ArrayType(_FILE_ENTRY),
            description="The entities to read: one stream each.",
        ),
        th.Property(
            "csv_files_definition",
            th.StringType,
            description="Path of a JSON file holding a list like `files`.",
        ),
        th.Property(
            "add_metadata_columns",
            th.BooleanType,
            default=False,
            description="Add _sdc_source_file, _sdc_source_file_mtime and _sdc_source_lineno "
            "to every record.",
        ),
        th.Property(
            "emit_activate_version_messages",
            th.BooleanType,
            default=False,
            description="Replace each stream without a replication_key whole: its records carry "
            "a table version that ACTIVATE_VERSION activates after the last one, so the target "
            "retires the rows of files gone or changed; every file is read on every run. "
            "Streams with a replication_key are incremental and send none.",
        ),
        _BATCH_CONFIG,
        *_dialect_properties(),
    ).to_dict()

    def discover_streams(self) -> list[CsvStream]:
        metadata_columns = bool(self.config.get("add_metadata_columns", False))
        return [
            CsvStream(self, entity, discover(entity, metadata_columns=metadata_columns))
            for entity in load_entities(self.config)
        ]
