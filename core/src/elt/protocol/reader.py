"""Read a Singer message stream fast, and say exactly where and why a bad one is bad.

The fast path reads the input in large chunks (``read1``, so a slow producer is never
waited on for a full chunk), splits lines in C, and parses each with orjson; a RECORD is
checked with two ``type() is`` tests. Everything else — the error reporting, numbers that
a double would round — happens only on the rare line that needs it.

Numbers: orjson parses a JSON number with a fraction as a double, which silently rounds a
value of more than 15 significant digits (a ``numeric(38,18)`` from a database), and turns
an integer beyond 64 bits into a double as well. So each line is scanned (one C-level
``translate`` and ``find``) for a number token of 16+ digits; if a double would not hold it
exactly, the line is parsed again with the standard library into ``Decimal``/``int``, so no
digit is lost, and this package's writers serialise ``Decimal`` back to the same JSON
number. Long runs of digits inside strings (ids, phone numbers) cost a look, not a re-parse.
So does a number too small for a double (``1e-400``, which orjson reads as ``0.0``): the
same translation marks a negative exponent of 3+ digits. (One too large for a
double, ``1e999``, orjson refuses, and the standard library reads exactly.)

Keys: JSON does not say which value of a repeated key counts (orjson, like most parsers,
keeps the last), so a message whose envelope — its top-level keys, ``type``, ``stream``,
``record``, ``value``… — repeats a key is refused: two ``type`` keys would make a RECORD
line a STATE and drop the record without a word. A RECORD line costs one more C-level
count: the ``":`` that end its keys must number the keys parsed (the message's and the
record's). That holds for a flat record as every JSON writer spells it, and then no key can
have been repeated. Otherwise (a nested object, ``":`` inside a string) the envelope's own
tokens are counted (``"record"``, ``"stream"``, and ``"version"`` or ``"time_extracted"``
when present). Every other message, and a line where a token shows up more than once (a
record with a ``record`` column), is parsed again by the standard library, which sees
every key. A line spelled to hide a repeated key from the counts (``"typ\\u0065"``, a
blank before a colon in a flat record) is caught only on that careful path: no writer
spells so by accident. Inside a record a repeated key keeps its last value, as in every
JSON parser elt uses (orjson, the standard library, pyarrow's fallback).

Nesting deeper than orjson's limit of 1,024 levels is refused with the line, not left to
the standard library's recursion limit. Names are not judged here: an empty property name
or a NUL in a stream name is valid JSON and valid Singer; a target that cannot hold one
refuses it (target-postgres), another encodes it (target-files).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from decimal import Decimal
from typing import IO, Any, Final

import orjson

from elt.errors import ProtocolError
from elt.protocol.messages import MESSAGE_TYPES, RECORD, RECORD_HEAD, REQUIRED_KEYS

DEFAULT_MAX_LINE_BYTES: Final = 16 * 1024 * 1024
_CHUNK_BYTES: Final = 1024 * 1024

# Digits and '.' map to '0', 'e'/'E' to 'e', '-' to itself, everything else to ' ': a run of
# 17 '0's in the translated line marks a number (or a string) of 16+ digits, and "e-000" a
# negative exponent of 3+ digits (which may underflow a double): the only numbers orjson
# may round.
_DIGIT_MARKS: Final = bytes(
    48 if c in b"0123456789." else 101 if c in b"eE" else 45 if c == 45 else 32 for c in range(256)
)
_LONG_RUN: Final = b"0" * 17
_SMALL_EXPONENT_MARK: Final = b"e-000"
_SMALL_EXPONENT: Final = re.compile(rb"[eE]-[0-9]{3,}")
# orjson returns integers outside this range as doubles
_INT64_MIN: Final = -(2**63)
_UINT64_MAX: Final = 2**64 - 1

_EXPECTED_TYPES: Final = ", ".join(MESSAGE_TYPES)

_RECORD_KEY: Final = b',"record":'
# A RECORD's envelope; the first three are in every one
_RECORD_KEYS: Final = frozenset(("type", "stream", "record", "version", "time_extracted"))
_KEY_END: Final = b'":'
_ESCAPE: Final = b"\\u"  # a \uXXXX escape: a key may be spelled with one
_RECORD_TOKEN: Final = b'"record"'
_STREAM_TOKEN: Final = b'"stream"'
_TYPE_TOKEN: Final = b'"type"'
_EXTRA_TOKENS: Final = {"version": b'"version"', "time_extracted": b'"time_extracted"'}
_MAX_DEPTH: Final = 1024  # orjson's

RawHandler = Callable[[bytes, int], None]


class MessageReader:
    """Iterate the checked messages of a Singer stream, one ``dict`` per line.

    ``source`` is a binary file (the fast path: stdin's buffer, a pipe, an open file), a
    text file, or any iterable of lines. ``name`` says where the stream comes from in error
    messages. ``line_number`` is the line of the message last yielded, so a consumer can
    point at the line its own check rejected. Blank lines are skipped.

    ``raw_records`` lets a consumer take RECORD lines of chosen streams unparsed: a line
    that starts with a key of it (:func:`~elt.protocol.messages.record_line_prefix`, exactly
    as elt's writers spell it) goes to its handler with its line number and is not
    yielded. The handler owns every check of such a line (a columnar lake file parses a
    whole buffer of them at once in C++). Lines spelled otherwise are parsed as usual.
    """

    def __init__(
        self,
        source: IO[bytes] | IO[str] | Iterable[bytes] | Iterable[str],
        *,
        name: str = "<stdin>",
        max_line_bytes: int = DEFAULT_MAX_LINE_BYTES,
    ) -> None:
        self.name = name
        self.max_line_bytes = max_line_bytes
        self.line_number = 0
        self._source = source
        self._ends_unterminated = False
        self.raw_records: dict[bytes, RawHandler] = {}

    def __iter__(self) -> Iterator[dict[str, Any]]:
        loads = orjson.loads
        decode_error = orjson.JSONDecodeError
        limit = self.max_line_bytes
        line_no = self.line_number
        routes = self.raw_records
        head = len(RECORD_HEAD)
        for block in self._blocks():
            for line in block:
                line_no += 1
                if len(line) > limit:
                    raise self._too_long(line_no)
                if routes and line[:head] == RECORD_HEAD:
                    handler = routes.get(line[: line.find(_RECORD_KEY, head) + len(_RECORD_KEY)])
                    if handler is not None:
                        self.line_number = line_no
                        handler(line, line_no)
                        continue
                try:
                    message = loads(line)
                except decode_error:
                    message = self._parse_slowly(line, line_no)
                    if message is None:  # a blank line
                        continue
                else:
                    if _rounds_a_number(line):
                        message = self._parse_slowly(line, line_no)
                if type(message) is not dict:
                    raise self._error(
                        line_no,
                        f"expected a JSON object (one Singer message), got {_json_kind(message)}",
                    )
                if not (
                    message.get("type") == RECORD
                    and type(message.get("stream")) is str
                    and type(record := message.get("record")) is dict
                    and (
                        line.count(_KEY_END) == len(message) + len(record)
                        or _record_keys_unique(message, line)
                    )
                ):
                    self._check(message, line, line_no)
                self.line_number = line_no
                yield message

    def _blocks(self) -> Iterator[list[bytes] | tuple[bytes]]:
        """Yield lists of complete lines, as bytes; the last line may lack its newline."""
        read1 = getattr(self._source, "read1", None)
        if read1 is None:
            for line in self._source:
                if isinstance(line, str):
                    self._ends_unterminated = line[-1:] != "\n"
                    yield (line.encode("utf-8", "surrogatepass"),)
                else:
                    self._ends_unterminated = line[-1:] != b"\n"
                    yield (line,)
            return
        pending: list[bytes] = []
        pending_bytes = 0
        lines_seen = self.line_number
        while chunk := read1(_CHUNK_BYTES):
            lines = chunk.split(b"\n")
            tail = lines.pop()
            if pending and lines:
                pending.append(lines[0])
                lines[0] = b"".join(pending)
                pending, pending_bytes = [], 0
            if lines:
                yield lines
                lines_seen += len(lines)
            if tail:
                pending.append(tail)
                pending_bytes += len(tail)
                if pending_bytes > self.max_line_bytes:
                    raise self._too_long(lines_seen + 1)
        if pending:
            self._ends_unterminated = True
            yield [b"".join(pending)]

    def _parse_slowly(self, line: bytes, line_no: int) -> Any:
        """Parse what orjson refused or would round; explain precisely what is wrong."""
        if not line.strip():
            return None
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise self._error(
                line_no,
                f"byte 0x{line[exc.start]:02x} at column {exc.start + 1} is not valid UTF-8",
                hint="Singer messages are UTF-8 encoded JSON; fix the producer's encoding",
            ) from None
        try:
            return json.loads(text, parse_float=Decimal, parse_constant=_reject_constant)
        except RecursionError:
            raise self._error(
                line_no,
                f"the message is nested more than {_MAX_DEPTH:,} levels deep (arrays and "
                "objects within each other)",
                hint="a message this deep is a producer bug; no target can load it",
            ) from None
        except json.JSONDecodeError as exc:
            if self._ends_unterminated:
                raise self._error(
                    line_no,
                    "the stream ends in the middle of a message (the last line is incomplete "
                    "JSON with no newline)",
                    hint="the program writing it probably crashed or was killed; "
                    "nothing after its last STATE message can be trusted",
                ) from None
            raise self._error(
                line_no,
                f"not valid JSON ({exc.msg} at column {exc.colno}); the line starts "
                f"{_preview(text)}",
                hint="each line must be one Singer message, a JSON object",
            ) from None

    def _check(self, message: dict[str, Any], line: bytes, line_no: int) -> None:
        """Check what the fast path did not vouch for: every message but a plain RECORD."""
        if (key := repeated_key(line, message)) is not None:
            raise self._error(
                line_no,
                f'the key "{key}" appears more than once in this message; JSON does not say '
                "which one counts",
                hint="each key of a Singer message must appear once; fix the program that wrote it",
            )
        kind = message.get("type")
        if kind is None:
            raise self._error(line_no, f'message has no "type"; expected one of {_EXPECTED_TYPES}')
        required = REQUIRED_KEYS.get(kind) if isinstance(kind, str) else None
        if required is None:
            raise self._error(
                line_no,
                f"unknown message type {_preview(kind)}; expected one of {_EXPECTED_TYPES}",
            )
        for key, expected_type, expected in required:
            if key not in message:
                raise self._error(line_no, f'{kind} message has no "{key}"')
            value = message[key]
            if not isinstance(value, expected_type) or isinstance(value, bool):
                raise self._error(
                    line_no,
                    f'{kind} message "{key}" must be {expected}, got {_json_kind(value)}',
                )

    def _too_long(self, line_no: int) -> ProtocolError:
        return self._error(
            line_no,
            f"line is longer than {self.max_line_bytes // (1024 * 1024)} MiB, the limit for "
            "one Singer message",
            hint="a record this large is almost always a producer bug; send bulk data as "
            "BATCH files, or raise max_line_bytes if it is genuine",
        )

    def _error(self, line_no: int, message: str, hint: str | None = None) -> ProtocolError:
        return ProtocolError(message, where=f"{self.name} line {line_no}", hint=hint)


def repeated_key(line: bytes, message: Mapping[str, Any]) -> str | None:
    """The first key that the top level of ``line`` holds twice, given ``message`` parsed
    from it; None if there is none (or ``line`` is not valid JSON: parsing says why).

    Cheap when each key of ``message`` shows once in ``line`` (C-level counts); else the
    standard library parses ``line`` again, seeing every key.
    """
    if _ESCAPE not in line and all(line.count(orjson.dumps(key)) == 1 for key in message):
        return None
    outermost: list[list[tuple[str, Any]]] = []

    def keep(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        outermost[:] = [pairs]  # objects end inner first: the last one is the outermost
        return dict(pairs)

    try:
        json.loads(line, object_pairs_hook=keep, parse_constant=_reject_constant)
    except (ValueError, RecursionError):
        return None
    seen: set[str] = set()
    for key, _ in outermost[0] if outermost else ():
        if key in seen:
            return key
        seen.add(key)
    return None


def read_messages(
    source: IO[bytes] | IO[str] | Iterable[bytes] | Iterable[str],
    *,
    name: str = "<stdin>",
    max_line_bytes: int = DEFAULT_MAX_LINE_BYTES,
) -> Iterator[dict[str, Any]]:
    """Iterate the checked messages of ``source``; see :class:`MessageReader`."""
    return iter(MessageReader(source, name=name, max_line_bytes=max_line_bytes))


def loads_exact(data: bytes | str) -> Any:
    """One JSON document parsed like a message line: fast, and with every digit kept.

    orjson parses it unless a number in it has digits a double would round (see the module
    docstring); then the standard library parses it into ``Decimal``/``int``. NaN and
    Infinity are refused either way. Raises :class:`json.JSONDecodeError` (orjson's is a
    subclass) with the position of the fault.
    """
    if not _rounds_a_number(data):
        return orjson.loads(data)
    text = data.decode("utf-8") if isinstance(data, bytes) else data
    try:
        return json.loads(text, parse_float=Decimal, parse_constant=_reject_constant)
    except RecursionError:
        raise json.JSONDecodeError(
            f"nested more than {_MAX_DEPTH:,} levels deep", text, 0
        ) from None


def _rounds_a_number(line: bytes | str) -> bool:
    """True if a number token in ``line`` has digits a double cannot hold exactly, or is too
    small for one (``1e-400`` would become ``0.0``).

    Runs of 16+ digits inside strings (ids, phone numbers) are skipped: a number token
    follows ``:``, ``,`` or ``[`` (after optional blanks and sign), a string follows ``"``.
    """
    raw = line.encode() if isinstance(line, str) else line
    marked = raw.translate(_DIGIT_MARKS)
    if marked.find(_SMALL_EXPONENT_MARK) != -1 and _underflows(raw):
        return True
    start = marked.find(_LONG_RUN)
    while start != -1:
        run = marked[start:]
        end = start + len(run) - len(run.lstrip(b"0"))
        before = start - 1
        while before >= 0 and raw[before] in b" \t-":
            before -= 1
        if before < 0 or raw[before] in b":,[":
            token_end = end
            if end < len(raw) and raw[end] in b"eE":
                token_end += 1
                while token_end < len(raw) and raw[token_end] in b"+-0123456789":
                    token_end += 1
            token = raw[start:token_end]
            try:
                if token_end > end or b"." in token:
                    # Shortest round-trip text (what Python and orjson write for a double)
                    # is exact by definition; only other spellings need the exact compare.
                    shortest = repr(float(token)).encode()
                    if shortest != token and Decimal(shortest.decode()) != Decimal(token.decode()):
                        return True
                elif (
                    not _INT64_MIN
                    <= int(token) * (-1 if raw[start - 1] == 45 else 1)
                    <= _UINT64_MAX
                ):
                    return True
            except (ValueError, ArithmeticError):
                return True  # not a number after all: let the careful parser decide
        start = marked.find(_LONG_RUN, end)
    return False


def _underflows(raw: bytes) -> bool:
    """True if a number with a negative exponent of 3+ digits loses digits as a double
    (underflows to zero, or to a subnormal of fewer digits): only such a token can, and
    only lines the translation marked as holding one are searched."""
    for match in _SMALL_EXPONENT.finditer(raw):
        start = match.start()
        while start and raw[start - 1] in b"0123456789.":
            start -= 1
        if start == match.start():
            continue  # not after a number: text such as "Re-300"
        token = raw[start - (start > 0 and raw[start - 1] == 45) : match.end()]
        try:
            if Decimal(repr(float(token))) != Decimal(token.decode()):
                return True
        except (ValueError, ArithmeticError):
            return True  # not a number after all: let the careful parser decide
    return False


def _record_keys_unique(message: dict[str, Any], line: bytes) -> bool:
    """True if no envelope key of a RECORD line is repeated although its ``":`` outnumber
    the keys parsed (a nested object, a ``":`` in a string): its keys are RECORD keys and
    each shows once; with ``version`` (an ACTIVATE_VERSION's key too) ``type`` must show
    once. False means "look closer"."""
    if not message.keys() <= _RECORD_KEYS or _ESCAPE in line:
        return False
    if line.count(_RECORD_TOKEN) != 1 or line.count(_STREAM_TOKEN) != 1:
        return False
    for key, token in _EXTRA_TOKENS.items():
        if key in message and line.count(token) != 1:
            return False
    return "version" not in message or line.count(_TYPE_TOKEN) == 1


def _reject_constant(name: str) -> Any:
    """JSON has no NaN or Infinity; the standard library would accept them."""
    raise json.JSONDecodeError(f"{name} is not a JSON value", name, 0)


def _json_kind(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float | Decimal):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


def _preview(value: object, limit: int = 60) -> str:
    text = value if isinstance(value, str) else repr(value)
    return repr(text if len(text) <= limit else text[:limit] + "…")
