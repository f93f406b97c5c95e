"""The target's settings: one JSON Schema for validation and ``--about``, and a typed view.

Names and meanings follow MeltanoLabs' target-postgres where the two overlap, so a config
written for it works here. Where defaults differ it is on purpose and documented in the
README: ``load_method`` defaults to ``upsert`` (loading a stream with a primary key twice
must not duplicate it) and ``add_record_metadata`` to false (seven extra columns per row
are a cost to opt into).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final

from singer_sdk import typing as th

from elt.errors import ConfigError
from elt.sdk.postgres import connection_properties

__all__ = ["CONFIG_SCHEMA", "LoadMethod", "Settings"]

DEFAULT_BATCH_SIZE_ROWS: Final = 100_000
DEFAULT_MAX_BATCH_AGE_SECONDS: Final = 60.0


class LoadMethod(StrEnum):
    """How a batch reaches its table."""

    APPEND_ONLY = "append-only"
    UPSERT = "upsert"
    OVERWRITE = "overwrite"


CONFIG_SCHEMA: Final[dict[str, Any]] = th.PropertiesList(
    *connection_properties("Database to load into."),
    th.Property(
        "default_target_schema",
        th.StringType,
        description=(
            "Schema every stream loads into. Unset: the schema part of a "
            "`<schema>-<table>` stream name, else public."
        ),
    ),
    th.Property(
        "load_method",
        th.StringType,
        default=LoadMethod.UPSERT.value,
        allowed_values=[m.value for m in LoadMethod],
        description=(
            "upsert: insert new rows and update rows whose key_properties match (the last "
            "record of a key wins). append-only: insert every record. overwrite: empty each "
            "table when its stream first loads in a run, then upsert."
        ),
    ),
    th.Property(
        "add_record_metadata",
        th.BooleanType,
        default=False,
        description=(
            "Add the _sdc_extracted_at, _sdc_received_at, _sdc_batched_at, _sdc_deleted_at, "
            "_sdc_sequence, _sdc_table_version and _sdc_sync_started_at columns."
        ),
    ),
    th.Property(
        "activate_version",
        th.BooleanType,
        default=True,
        description=(
            "Process ACTIVATE_VERSION messages: after one, the rows of the stream that did "
            "not come with that version are deleted (soft or hard, see hard_delete)."
        ),
    ),
    th.Property(
        "process_activate_version_messages",
        th.BooleanType,
        default=True,
        description=(
            "singer-sdk's name for activate_version: ACTIVATE_VERSION messages are processed "
            "only when both are true."
        ),
    ),
    th.Property(
        "hard_delete",
        th.BooleanType,
        default=False,
        description=(
            "On ACTIVATE_VERSION, delete rows of older versions instead of setting their "
            "_sdc_deleted_at."
        ),
    ),
    th.Property(
        "batch_size_rows",
        th.IntegerType,
        default=DEFAULT_BATCH_SIZE_ROWS,
        description=(
            "A STATE commits the open batch once it holds this many rows (over all "
            "streams); commits happen only at a STATE and at the end of the input, so "
            "every committed row is covered by a written STATE."
        ),
    ),
    th.Property(
        "max_batch_age_seconds",
        th.NumberType,
        default=DEFAULT_MAX_BATCH_AGE_SECONDS,
        description=(
            "A STATE that arrives when the open batch is older than this commits it, so "
            "bookmarks advance on slow streams too."
        ),
    ),
    th.Property(
        "sanitize_null_text_characters",
        th.BooleanType,
        default=True,
        description=(
            "Remove NUL (\\u0000) characters from text and JSON values, which Postgres "
            "cannot store, logging how many records each commit changed. Off: such a "
            "value is an error naming its record."
        ),
    ),
    th.Property(
        "interpret_content_encoding",
        th.BooleanType,
        default=False,
        description=(
            "Store strings whose schema has contentEncoding base16 or base64 as bytea, "
            "decoded. Off: they are text columns holding the encoded text."
        ),
    ),
    th.Property(
        "validate_records",
        th.BooleanType,
        default=False,
        description=(
            "Check every record against its stream's SCHEMA (enum, minimum, maxLength, "
            "required…) before loading it, refusing one that breaks it. Off: Postgres checks "
            "each value against its column type, and undeclared properties are not loaded."
        ),
    ),
    th.Property(
        "delete_batch_files",
        th.BooleanType,
        default=False,
        description=(
            "Delete the local files of BATCH messages once the transaction holding their "
            "rows has committed (never before). Off: the files are left where they are."
        ),
    ),
).to_dict()


@dataclass(frozen=True, slots=True)
class Settings:
    """The loading settings, typed and checked; connection settings live in the config."""

    load_method: LoadMethod
    default_target_schema: str | None
    add_record_metadata: bool
    activate_version: bool
    hard_delete: bool
    batch_size_rows: int
    max_batch_age_seconds: float
    sanitize_null_text_characters: bool
    delete_batch_files: bool
    validate_records: bool = False
    interpret_content_encoding: bool = False

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Settings:
        """Read the loading settings, with this target's defaults for the ones unset."""
        batch_size = config.get("batch_size_rows")
        batch_size = DEFAULT_BATCH_SIZE_ROWS if batch_size is None else batch_size
        max_age = config.get("max_batch_age_seconds")
        max_age = DEFAULT_MAX_BATCH_AGE_SECONDS if max_age is None else max_age
        if batch_size < 1 or max_age < 0:
            raise ConfigError(
                "batch_size_rows must be at least 1 and max_batch_age_seconds at least 0, "
                f"got {batch_size} and {max_age}",
                where="target-postgres config",
            )
        return cls(
            load_method=LoadMethod(config.get("load_method") or LoadMethod.UPSERT.value),
            default_target_schema=config.get("default_target_schema") or None,
            add_record_metadata=_flag(config, "add_record_metadata", default=False),
            activate_version=_flag(config, "activate_version", default=True)
            and _flag(config, "process_activate_version_messages", default=True),
            hard_delete=_flag(config, "hard_delete", default=False),
            batch_size_rows=int(batch_size),
            max_batch_age_seconds=float(max_age),
            sanitize_null_text_characters=_flag(
                config, "sanitize_null_text_characters", default=True
            ),
            delete_batch_files=_flag(config, "delete_batch_files", default=False),
            validate_records=_flag(config, "validate_records", default=False),
            interpret_content_encoding=_flag(config, "interpret_content_encoding", default=False),
        )


def _flag(config: Mapping[str, Any], key: str, *, default: bool) -> bool:
    """A boolean setting; None (what an orchestrator writes for "unset") is the default."""
    value = config.get(key)
    return default if value is None else bool(value)
