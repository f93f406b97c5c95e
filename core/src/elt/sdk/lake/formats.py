"""The lake's file formats, in one registry: everything the writer and settings know of each.

Each :class:`FormatSpec` in :data:`FORMATS` says what a format is to the rest of the lake:

- ``extension`` and ``codecs`` (the first the default): the ``format`` and ``compression``
  settings' enums, their descriptions and checks (:mod:`elt.sdk.lake.settings`) and the
  ``{ext}`` of every file key are derived from them;
- ``compression``: ``"whole-file"`` (the :class:`~elt.sdk.lake.output.Output` compresses
  the file's bytes with one of :data:`~elt.sdk.lake.output.FILE_CODECS`, whose suffix
  joins the extension: ``jsonl.gz``) or ``"in-format"`` (the format's writer compresses
  inside the file, as Parquet compresses its pages; the file keeps its bare extension);
- ``raw_lines``: whether a stream's whole RECORD lines may reach the encoder unparsed
  (:mod:`elt.sdk.lake.rawrecords`), given the settings and the stream's SCHEMA;
- ``encoder``: the factory of the :class:`~elt.sdk.lake.output.Encoder` writing one file.

Adding a format is one entry here, the module of its encoder (an
:class:`~elt.sdk.lake.columnar.ArrowWriter` for a format pyarrow writes), and its test.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, Literal, Protocol

from elt.sdk.lake.columnar import ArrowWriter, ColumnarEncoder, columns_from_json
from elt.sdk.lake.jsonl import JsonlEncoder
from elt.sdk.lake.output import FILE_CODECS, Encoder, Output, Where
from elt.sdk.lake.store import Upload

if TYPE_CHECKING:
    from elt.sdk.lake.settings import LakeSettings

__all__ = [
    "FORMATS",
    "LEVELLESS_CODECS",
    "CompressionKind",
    "EncoderFactory",
    "FormatSpec",
    "all_codecs",
    "encoder_for",
    "output_for",
    "takes_raw_lines",
]

CompressionKind = Literal["whole-file", "in-format"]
#: codecs that take no ``compression_level``
LEVELLESS_CODECS: Final = frozenset({"none", "snappy"})
# (settings, a stream's SCHEMA) -> whether its RECORD lines may skip parsing
RawLines = Callable[["LakeSettings", Mapping[str, Any]], bool]


class EncoderFactory(Protocol):
    """Makes the encoder of one file of a stream (``where`` names a record's line for
    errors; ``keys`` are the stream's key properties)."""

    def __call__(
        self,
        output: Output,
        settings: LakeSettings,
        schema: Mapping[str, Any],
        where: Where,
        keys: Sequence[str],
        *,
        stream: str,
        source: str,
    ) -> Encoder: ...


@dataclass(frozen=True, slots=True)
class FormatSpec:
    """One file format of the lake; see the module docstring for each field."""

    name: str
    extension: str
    codecs: tuple[str, ...]
    compression: CompressionKind
    raw_lines: RawLines
    encoder: EncoderFactory
    description: str  # what the format holds, for the ``format`` setting's description

    def __post_init__(self) -> None:
        unknown = set(self.codecs) - set(FILE_CODECS)
        if self.compression == "whole-file" and unknown:
            raise ValueError(f"{self.name}: no whole-file codec {sorted(unknown)}")

    @property
    def default_codec(self) -> str:
        return self.codecs[0]

    def file_codec(self, codec: str) -> str:
        """What the :class:`~elt.sdk.lake.output.Output` applies to the whole file."""
        return codec if self.compression == "whole-file" else "none"

    def file_extension(self, codec: str) -> str:
        """``{ext}`` of a file compressed with ``codec``: ``jsonl.gz``, ``parquet``."""
        return self.extension + FILE_CODECS[self.file_codec(codec)]


def _jsonl(
    output: Output,
    settings: LakeSettings,
    schema: Mapping[str, Any],
    where: Where,
    keys: Sequence[str],
    *,
    stream: str,
    source: str,
) -> Encoder:
    return JsonlEncoder(output, settings.buffer_size, keys, stream=stream, source=source)


def _columnar(writer: ArrowWriter) -> EncoderFactory:
    def encoder(
        output: Output,
        settings: LakeSettings,
        schema: Mapping[str, Any],
        where: Where,
        keys: Sequence[str],
        *,
        stream: str,
        source: str,
    ) -> Encoder:
        return ColumnarEncoder(
            output, settings, schema, where, keys, writer=writer, stream=stream, source=source
        )

    return encoder


def _csv_writer(sink: Any, schema: Any, settings: LakeSettings) -> Any:
    from pyarrow import csv

    options = csv.WriteOptions(include_header=True, quoting_style="needed")
    return csv.CSVWriter(sink, schema, write_options=options)


def _parquet_writer(sink: Any, schema: Any, settings: LakeSettings) -> Any:
    from pyarrow import parquet

    codec = settings.compression
    return parquet.ParquetWriter(
        sink,
        schema,
        compression="NONE" if codec == "none" else codec,
        compression_level=settings.compression_level,
    )


def _always(settings: LakeSettings, schema: Mapping[str, Any]) -> bool:
    return True


def _never(settings: LakeSettings, schema: Mapping[str, Any]) -> bool:
    return False


#: every format, by the ``format`` setting's value; the first is the default
FORMATS: Final[dict[str, FormatSpec]] = {
    spec.name: spec
    for spec in (
        FormatSpec(
            "jsonl",
            extension="jsonl",
            codecs=("gzip", "zstd", "none"),
            compression="whole-file",
            raw_lines=_always,
            encoder=_jsonl,
            description="one JSON record per line, numbers exactly as received, any schema.",
        ),
        FormatSpec(
            "csv",
            extension="csv",
            codecs=("gzip", "zstd", "none"),
            compression="whole-file",
            raw_lines=_never,  # every value becomes text first
            encoder=_columnar(ArrowWriter(_csv_writer, text_only=True)),
            description=(
                "a header row of the SCHEMA's properties; every value quoted, null an empty "
                'unquoted field (so null and "" differ); a property declaring object or array '
                "holds the JSON text of its value, whatever its kind (a string with its quotes)."
            ),
        ),
        FormatSpec(
            "parquet",
            extension="parquet",
            codecs=("snappy", "zstd", "gzip", "none"),
            compression="in-format",
            raw_lines=columns_from_json,
            encoder=_columnar(ArrowWriter(_parquet_writer)),
            description=(
                "typed columns from the SCHEMA (see parquet_number, nested), written in row "
                "groups of about buffer_size."
            ),
        ),
    )
}


def all_codecs() -> list[str]:
    """Every codec some format takes, ``none`` last: the ``compression`` setting's enum."""
    seen = dict.fromkeys(codec for spec in FORMATS.values() for codec in spec.codecs)
    return [codec for codec in seen if codec != "none"] + ["none"]


def output_for(upload: Upload, settings: LakeSettings) -> Output:
    """The output a file of ``settings.format`` writes to ``upload`` through."""
    spec = FORMATS[settings.format]
    return Output(upload, spec.file_codec(settings.compression), settings.compression_level)


def takes_raw_lines(settings: LakeSettings, schema: Mapping[str, Any]) -> bool:
    """Whether a stream's whole RECORD lines may skip parsing (``add_raw``) in files of
    ``settings.format``: JSONL always, Parquet when no value must become text first."""
    return FORMATS[settings.format].raw_lines(settings, schema)


def encoder_for(
    output: Output,
    settings: LakeSettings,
    schema: Mapping[str, Any],
    where: Where,
    keys: Sequence[str] = (),
    *,
    stream: str = "",
    source: str = "<input>",
) -> Encoder:
    """The encoder of ``settings.format`` writing to ``output``."""
    return FORMATS[settings.format].encoder(
        output, settings, schema, where, keys, stream=stream, source=source
    )
