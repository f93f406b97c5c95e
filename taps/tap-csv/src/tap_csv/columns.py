"""The kinds a CSV column can hold, which texts fit each, and converting a column at a time.

A value *fits* a kind only when its text is the canonical spelling of that kind, so that
emitting it typed can never change what the file said:

- ``integer``: ``-?(0|[1-9][0-9]*)``. No ``+``, no leading zeros (``00501`` is a zip code,
  not 501), no ``_`` or non-ASCII digits that ``int()`` would accept.
- ``number``: the JSON number grammar (``-1.50``, ``2e10``), not ``.5``, ``1.``, ``NaN``.
  Digits are never lost: the text itself is written to the JSON output (an
  ``orjson.Fragment``), or parsed to ``Decimal`` when Python values are wanted.
- ``boolean``: ``true``/``false`` in lower, title or upper case.
- ``date``: ``YYYY-MM-DD`` that is a real calendar date.
- ``date-time``: a date, ``T`` or a space, ``HH:MM[:SS[.ffffff]]``, an optional ``Z`` or
  ``±HH[:MM]`` offset, and a real instant (no month 13, no hour 24). The text is emitted as
  it is.
- ``string``: anything.

Converted values come in one of three encodings (:class:`Encoding`): Python values, values
ready for the JSON writer, or the fields of a csv BATCH file (:mod:`tap_csv.csvfields`).

Work is done a column of a batch at a time, because per-value Python calls are what makes a
CSV tap slow. The checks join a column into one string and let C code do the scanning:
digits are mapped to ``0`` with ``str.translate`` (a leading zero first to ``Z``) and the
few distinct *shapes* that remain (``00``, ``-000``, ``Z.00``, ``0000-00-00T00:00:00Z``)
are checked once each against the grammars above; calendar ranges are checked by parsing.
Unsigned integers skip the shapes: their digits are checked in a few passes. When a
batch has a value that does not fit, :func:`misfits` finds which, one value at a time.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from functools import lru_cache
from typing import Any, Final

from orjson import Fragment

from elt.protocol.csvbatch import NULL_FIELD
from tap_csv.csvfields import text_fields

__all__ = [
    "Encoding",
    "Kind",
    "Nulls",
    "convert",
    "fits",
    "misfits",
    "widen",
]


class Kind(Enum):
    """What a column holds; the value is the JSON Schema type or string format."""

    INTEGER = "integer"
    NUMBER = "number"
    BOOLEAN = "boolean"
    DATE = "date"
    DATE_TIME = "date-time"
    STRING = "string"


class Encoding(Enum):
    """What :func:`convert` turns texts into, for each way records leave the tap."""

    PYTHON = "python"
    """``int``, ``Decimal``, ``bool``, ``str`` and ``None``: singer-sdk's record path."""
    JSON = "json"
    """What orjson writes natively; numbers as ``Fragment`` of their own text."""
    CSV = "csv"
    """Fields of a csv BATCH file: ``""`` is NULL (see :mod:`tap_csv.csvfields`)."""


# Each kind widens to these, nearest first; every text fits STRING.
_WIDER: Final[dict[Kind, tuple[Kind, ...]]] = {
    Kind.INTEGER: (Kind.NUMBER, Kind.STRING),
    Kind.NUMBER: (Kind.STRING,),
    Kind.BOOLEAN: (Kind.STRING,),
    Kind.DATE: (Kind.STRING,),
    Kind.DATE_TIME: (Kind.STRING,),
    Kind.STRING: (),
}

_INT = r"-?(?:0|[1-9][0-9]*)"
_NUM = _INT + r"(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?"
_DATE = r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
_DATE_TIME = (
    _DATE
    + r"[T ][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]{1,6})?)?(?:Z|[+-][0-9]{2}(?::?[0-9]{2})?)?"
)
_PATTERNS: Final[dict[Kind, Callable[[str], re.Match[str] | None]]] = {
    Kind.INTEGER: re.compile(_INT).fullmatch,
    Kind.NUMBER: re.compile(_NUM).fullmatch,
    Kind.DATE: re.compile(_DATE).fullmatch,
    Kind.DATE_TIME: re.compile(_DATE_TIME).fullmatch,
}
# Shapes: the same grammars once every digit is mapped to 0 and, in integers and numbers, a
# leading 0 to Z (so that "0" and "-0.5" fit but "007" does not).
_SHAPES: Final[dict[Kind, Callable[[str], re.Match[str] | None]]] = {
    Kind.INTEGER: re.compile(r"-?(?:Z|0+)").fullmatch,
    Kind.NUMBER: re.compile(r"-?(?:Z|0+)(?:\.0+)?(?:[eE][+-]?0+)?").fullmatch,
    Kind.DATE: re.compile(r"0000-00-00").fullmatch,
    Kind.DATE_TIME: re.compile(
        r"0000-00-00[T ]00:00(?::00(?:\.0{1,6})?)?(?:Z|[+-]00(?::?00)?)?"
    ).fullmatch,
}
_DIGITS_TO_ZERO: Final = str.maketrans("0123456789", "0" * 10)

_EMPTY: Final = frozenset({""})

_BOOLEANS: Final[dict[str, bool]] = {
    "true": True,
    "True": True,
    "TRUE": True,
    "false": False,
    "False": False,
    "FALSE": False,
}

_CSV_BOOLEANS: Final = {text: "true" if value else "false" for text, value in _BOOLEANS.items()}


class Nulls:
    """Which texts mean null: ``null_values`` in every column, and ``""`` in typed ones.

    An empty field cannot be an integer, a number, a boolean or a date, so it is null in
    those columns whatever ``null_values`` says; in a string column it is null only when
    ``""`` is one of the ``null_values`` (the default).
    """

    __slots__ = ("only_empty", "texts", "typed_texts")

    def __init__(self, null_values: Sequence[str]) -> None:
        self.texts: frozenset[str] = frozenset(null_values)
        self.typed_texts: frozenset[str] = self.texts | {""}
        self.only_empty = self.texts <= {""}

    def of(self, kind: Kind) -> frozenset[str]:
        return self.texts if kind is Kind.STRING else self.typed_texts


def fits(kind: Kind, text: str) -> bool:
    """Whether ``text`` is the canonical spelling of a ``kind`` value (nulls aside)."""
    if kind is Kind.STRING:
        return True
    if kind is Kind.BOOLEAN:
        return text in _BOOLEANS
    if _PATTERNS[kind](text) is None:
        return False
    if kind is Kind.DATE:
        return _parses(date.fromisoformat, text)
    if kind is Kind.DATE_TIME:
        return _parses(datetime.fromisoformat, text)
    return True


def widen(kind: Kind, texts: Sequence[str], nulls: Nulls) -> Kind:
    """The nearest kind at or above ``kind`` that every non-null text fits."""
    for candidate in (kind, *_WIDER[kind]):
        null = nulls.of(candidate)
        if all(text in null or fits(candidate, text) for text in texts):
            return candidate
    raise AssertionError("every text fits STRING")  # pragma: no cover


def misfits(kind: Kind, texts: Sequence[str], nulls: Nulls) -> Iterator[int]:
    """Positions of the non-null texts that do not fit ``kind``."""
    null = nulls.of(kind)
    for i, text in enumerate(texts):
        if text not in null and not fits(kind, text):
            yield i


def convert(
    kind: Kind, texts: Sequence[str], nulls: Nulls, encoding: Encoding
) -> Sequence[Any] | None:
    """The values of one column of a batch, or None when a non-null text does not fit.

    JSON values write numbers as ``Fragment`` of their own text, so nothing is re-formatted;
    Python values (``int``, ``Decimal``, ``bool``, ``str``) are for singer-sdk's record path
    and callers of ``get_records``; CSV fields are the texts themselves, quoted when needed.
    """
    if kind is Kind.STRING:
        if encoding is Encoding.CSV:
            return text_fields(texts, nulls.texts)
        return _strings(texts, nulls)
    if kind is Kind.BOOLEAN:
        return _booleans(texts, nulls, encoding)
    if nulls.only_empty or nulls.texts.isdisjoint(texts):
        if not _column_fits(kind, texts):
            return None
    elif any(True for _ in misfits(kind, texts, nulls)):
        return None
    return _typed(kind, texts, nulls.typed_texts, encoding)


def _strings(texts: Sequence[str], nulls: Nulls) -> Sequence[Any]:
    null = nulls.texts
    if nulls.only_empty:
        if null and "" in texts:
            return [None if text == "" else text for text in texts]
        return texts
    if null.isdisjoint(texts):
        return texts
    return [None if text in null else text for text in texts]


def _booleans(texts: Sequence[str], nulls: Nulls, encoding: Encoding) -> list[Any] | None:
    table: dict[str, Any]
    if encoding is Encoding.CSV:
        table = dict(_CSV_BOOLEANS)
        table.update(dict.fromkeys(nulls.typed_texts, NULL_FIELD))
    else:
        table = dict(_BOOLEANS)
        table.update(dict.fromkeys(nulls.typed_texts))
    try:
        return list(map(table.__getitem__, texts))
    except KeyError:
        return None


@lru_cache(maxsize=4096)
def _shape_fits(kind: Kind, shape: str) -> bool:
    return shape == "" or _SHAPES[kind](shape) is not None


def _column_fits(kind: Kind, texts: Sequence[str]) -> bool:
    """Whether every text is ``""`` or fits ``kind``; ``""`` is the only null here."""
    joined = "\n".join(texts)
    if joined.count("\n") != len(texts) - 1:
        return False  # a value holds a line break: no number or date does
    if kind is Kind.INTEGER or kind is Kind.NUMBER:
        if "Z" in joined:
            return False
        if kind is Kind.INTEGER and _plain_integers(joined):
            return True
        if joined[:1] == "0" or joined[:2] == "-0" or "\n0" in joined or "\n-0" in joined:
            joined = ("\n" + joined).replace("\n0", "\nZ").replace("\n-0", "\n-Z")[1:]
    if not all(_shape_fits(kind, shape) for shape in _shapes(joined, len(texts))):
        return False
    if kind is Kind.INTEGER or kind is Kind.NUMBER:
        return True
    parse = date.fromisoformat if kind is Kind.DATE else datetime.fromisoformat
    present = texts if "" not in texts else [text for text in texts if text]
    try:
        list(map(parse, present))
    except ValueError:
        return False
    return True


def _plain_integers(joined: str) -> bool:
    """Whether the joined texts are all ASCII digits (or empty), none with a leading zero.

    The common case of an integer column, checked in a few passes instead of by shapes. A
    ``False`` only means "check the shapes": signed values and runs of zeros end up there.
    """
    digits = joined.replace("\n", "")
    if not (digits.isascii() and digits.encode("ascii").isdigit()):  # bytes: 10x faster
        return False
    if joined[:1] != "0" and "\n0" not in joined:
        return True
    framed = "\n" + joined + "\n"
    return framed.count("\n0") == framed.count("\n0\n")


def _shapes(joined: str, count: int) -> set[str]:
    """The distinct shapes of ``count`` texts joined by line breaks.

    Machine-written columns (timestamps, fixed-point amounts) often have a single shape,
    which one comparison confirms without splitting the column into strings.
    """
    shaped = joined.translate(_DIGITS_TO_ZERO)
    first = shaped.partition("\n")[0]
    if len(shaped) == (len(first) + 1) * count - 1 and shaped == "\n".join([first] * count):
        return {first}
    return set(shaped.split("\n"))


def _typed(
    kind: Kind, texts: Sequence[str], null: frozenset[str], encoding: Encoding
) -> Sequence[Any]:
    absent: str | None = None
    make: Callable[[str], Any] | None = None
    if encoding is Encoding.CSV:
        absent = NULL_FIELD
        if null == _EMPTY:
            return texts  # an empty text is the NULL field already
    elif kind is Kind.DATE or kind is Kind.DATE_TIME:
        pass
    elif encoding is Encoding.JSON:
        make = Fragment
    else:
        make = int if kind is Kind.INTEGER else Decimal
    if (null == _EMPTY and "" not in texts) or null.isdisjoint(texts):
        return texts if make is None else list(map(make, texts))
    if make is None:
        return [absent if text in null else text for text in texts]
    return [None if text in null else make(text) for text in texts]


def _parses(parse: Callable[[str], object], text: str) -> bool:
    try:
        parse(text)
    except ValueError:
        return False
    return True
