"""Where each file goes: keys from the path template, safe whatever the stream is called.

A stream name comes from the tap, and so from whoever named a table, a file or an API
entity: it may hold ``/``, ``..``, a backslash, a NUL, a leading dot or underscore (which
Spark, Hive and DuckDB take for a hidden or temporary file, and ``_manifests`` is the
writer's own folder) or characters an object store or file system refuses. So a stream
name becomes exactly one key segment: every byte outside ``[A-Za-z0-9_.-]`` is
percent-encoded (as Hive encodes partition values), a leading ``.`` or ``_`` too, and a
name longer than :data:`MAX_SEGMENT_BYTES` is cut and suffixed with a hash of the whole
name, so distinct streams never share a folder. Every rendered key is checked once more before use:
no empty, ``.`` or ``..`` segment, so nothing ever lands outside the prefix.
"""

from __future__ import annotations

import hashlib
import secrets
import string
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Final

from elt.errors import ConfigError

Day = date  # Partition has a field named date

__all__ = [
    "DEFAULT_PARTITION",
    "Layout",
    "Partition",
    "new_run_id",
    "record_date",
    "safe_segment",
]

MAX_SEGMENT_BYTES: Final = 200
DEFAULT_PARTITION: Final = "__HIVE_DEFAULT_PARTITION__"
FIELDS: Final = frozenset({"stream", "date", "year", "month", "day", "run_id", "part", "ext"})
REQUIRED: Final = ("stream", "run_id", "part")
_SAFE: Final = frozenset(string.ascii_letters + string.digits + "_.-")
# A leading "." or "_" hides a folder from Spark, Hive and DuckDB globs (and "_manifests"
# is the writer's own), so a stream name never starts a segment with one.
_HIDING: Final = frozenset("._")


def new_run_id(now: datetime | None = None) -> str:
    """A run id that sorts by start time and is unique: ``20261121T101500Z-3f9a2c``."""
    now = now or datetime.now(UTC)
    return f"{now.astimezone(UTC):%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"


def safe_segment(name: str) -> str:
    """``name`` as one key segment that cannot escape its folder (see the module doc).

    Raises ValueError for an empty name, which has no segment of its own.
    """
    if not name:
        raise ValueError("a stream name must not be empty")
    out = []
    for index, char in enumerate(name):
        if char in _SAFE and not (index == 0 and char in _HIDING):
            out.append(char)
        else:
            out.extend(f"%{byte:02X}" for byte in char.encode("utf-8", "surrogatepass"))
    segment = "".join(out)
    if len(segment) > MAX_SEGMENT_BYTES:
        digest = hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest()[:16]
        cut = segment[: MAX_SEGMENT_BYTES - 17]
        cut = cut[: cut.rfind("%")] if "%" in cut[-2:] else cut  # never split an escape
        segment = f"{cut}-{digest}"
    return segment


def record_date(value: object) -> date | None:
    """The UTC date of a record's date-time or date value; None for null.

    Raises ValueError for anything else. A value with an offset is converted first, so the
    partition is the UTC day; one without is taken as UTC.
    """
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError(f"expected a date or date-time string, got {type(value).__name__}")
    if len(value) == 10:
        return date.fromisoformat(value)
    moment = datetime.fromisoformat(value.replace("Z", "+00:00") if value[-1:] == "Z" else value)
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment.date()


@dataclass(frozen=True, slots=True)
class Partition:
    """The date values of one partition (strings, ready for the template)."""

    date: str
    year: str
    month: str
    day: str

    @classmethod
    def of(cls, day: Day | None) -> Partition:
        if day is None:
            return cls(DEFAULT_PARTITION, DEFAULT_PARTITION, DEFAULT_PARTITION, DEFAULT_PARTITION)
        return cls(day.isoformat(), f"{day.year:04d}", f"{day.month:02d}", f"{day.day:02d}")


class Layout:
    """Renders the keys of one target's files and manifests under its prefix."""

    def __init__(self, template: str, prefix: str) -> None:
        self.template = template
        self.prefix = prefix
        self._check_template()

    def key(self, stream: str, partition: Partition, run_id: str, part: int, ext: str) -> str:
        """The key of one file; ``stream`` is sanitised here, the rest is ours."""
        rendered = self.template.format(
            stream=safe_segment(stream),
            date=partition.date,
            year=partition.year,
            month=partition.month,
            day=partition.day,
            run_id=run_id,
            part=f"{part:05d}",
            ext=ext,
        )
        return self._under_prefix(rendered)

    def manifest_key(self, run_id: str) -> str:
        """Where a run's manifest goes; ``_`` makes Hive/Spark-style readers skip the folder."""
        return self._under_prefix(f"_manifests/{run_id}.json")

    def unit_manifest_key(self, unit_id: str) -> str:
        """Where a unit's manifest goes (see :mod:`elt.sdk.lake.units`)."""
        return self._under_prefix(f"_manifests/units/{unit_id}.json")

    def _under_prefix(self, relative: str) -> str:
        key = f"{self.prefix}/{relative}" if self.prefix else relative
        segments = key.split("/")
        if any(s in ("", ".", "..") for s in segments) or "\\" in key or "\0" in key:
            raise ConfigError(
                f"path_template renders the unsafe key {key!r}",
                where="lake target config",
                hint="keep '..', empty segments and backslashes out of path_template",
            )
        return key

    def _check_template(self) -> None:
        try:
            names = {field for _, field, _, _ in string.Formatter().parse(self.template) if field}
        except ValueError as exc:
            raise _template_error(f"is not a valid template ({exc})") from None
        unknown = names - FIELDS
        if unknown:
            raise _template_error(
                f"uses unknown placeholders {sorted(unknown)}; known: {', '.join(sorted(FIELDS))}"
            )
        missing = [name for name in REQUIRED if name not in names]
        if missing:
            raise _template_error(
                f"lacks {', '.join('{' + m + '}' for m in missing)}: without them two files "
                "(of two streams, parts or runs) would get the same key"
            )
        if self.template.startswith("/"):
            raise _template_error("must be relative (it is placed under prefix)")
        self.key("s", Partition.of(date(2026, 1, 1)), "r", 0, "x")


def _template_error(problem: str) -> ConfigError:
    return ConfigError(
        f"path_template {problem}",
        where="lake target config",
        hint="the default is {stream}/dt={date}/part-{run_id}-{part}.{ext}",
    )
