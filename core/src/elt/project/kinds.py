"""Checking and coercing setting values to their declared kind.

Values arrive as text more often than not (an environment variable, ``.env``, a command
line, a ``${VAR}`` that was interpolated), so each kind accepts its natural text form and
returns the typed value a plugin expects in its JSON config: ``"5432"`` becomes ``5432`` for
an integer, ``"false"`` becomes ``False`` for a boolean, ``'["a"]'`` becomes a list for an
array. ``None`` (YAML ``null``) is accepted for every kind and means "no value".
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from datetime import date, datetime

import orjson
from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from elt.errors import ConfigError
from elt.project.model import SettingKind

__all__ = ["coerce", "coerce_setting", "describe", "parse_value", "value_text"]

_INTEGER = re.compile(r"[+-]?\d+")
_TRUE = frozenset({"true", "1"})
_FALSE = frozenset({"false", "0"})
_TEXT_KINDS = frozenset(
    {SettingKind.STRING, SettingKind.PASSWORD, SettingKind.FILE, SettingKind.DATE_ISO8601}
)


def describe(value: object) -> str:
    """Render a value the way an error message quotes it: ``"abc"``, ``5``, ``a mapping``."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        text = value if len(value) <= 40 else value[:37] + "..."
        return orjson.dumps(text).decode()
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list | tuple):
        return "a list"
    return str(value)


def coerce(kind: SettingKind, value: object) -> object:
    """Return ``value`` as ``kind``; raise ValueError saying what was expected otherwise."""
    if value is None:
        return None
    try:
        return _COERCERS[kind](value)
    except ValueError:  # orjson.JSONDecodeError is one too
        raise ValueError(f"expected {kind.value}, got {describe(value)}") from None


def coerce_setting(kind: SettingKind, value: object, *, where: str, secret: bool) -> object:
    """:func:`coerce` for the value of a setting named ``where``: a ConfigError naming it if
    the value is of the wrong kind, which quotes the value unless it is a secret."""
    try:
        return coerce(kind, value)
    except ValueError as error:
        message = f"expected {kind.value}" if secret else str(error)
        raise ConfigError(message, where=where) from None


def parse_value(text: str, kind: SettingKind | None) -> object:
    """Read a value typed on a command line: YAML scalars unless the kind is textual.

    ``5432`` is an integer and ``true`` a boolean for an undeclared setting, while a string
    or password setting keeps the text exactly as typed. A YAML mapping or list is only
    taken when written in flow style (``[a, b]``, ``{k: v}``), so ``"note: hi"`` stays text.
    """
    if kind in _TEXT_KINDS or text == "":
        return text
    try:
        value = YAML(typ="safe", pure=True).load(text)
    except YAMLError:
        return text
    if isinstance(value, dict | list) and not text.lstrip().startswith(("[", "{")):
        return text
    if isinstance(value, datetime | date):
        return text
    return value


def value_text(value: object) -> str:
    """Render a value as an environment variable holds it: text as is, the rest as JSON."""
    if isinstance(value, str):
        return value
    return orjson.dumps(value).decode()


def _string(value: object) -> object:
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    raise ValueError


def _integer(value: object) -> object:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and _INTEGER.fullmatch(value.strip()):
        return int(value)
    raise ValueError


def _number(value: object) -> object:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    if not isinstance(value, str):
        raise ValueError
    text = value.strip()
    if _INTEGER.fullmatch(text):
        return int(text)
    number = float(text)
    if not math.isfinite(number):
        raise ValueError
    return number


def _boolean(value: object) -> object:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        text = value.strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
    raise ValueError


def _json_of(expected: type) -> Callable[[object], object]:
    def convert(value: object) -> object:
        parsed = orjson.loads(value) if isinstance(value, str) else value
        if not isinstance(parsed, expected):
            raise ValueError
        return parsed

    return convert


def _date(value: object) -> object:
    if not isinstance(value, str):
        raise ValueError
    datetime.fromisoformat(value)
    return value


def _file(value: object) -> object:
    if not isinstance(value, str) or not value:
        raise ValueError
    return value


_COERCERS: dict[SettingKind, Callable[[object], object]] = {
    SettingKind.STRING: _string,
    SettingKind.PASSWORD: _string,
    SettingKind.INTEGER: _integer,
    SettingKind.NUMBER: _number,
    SettingKind.BOOLEAN: _boolean,
    SettingKind.OBJECT: _json_of(dict),
    SettingKind.ARRAY: _json_of(list),
    SettingKind.DATE_ISO8601: _date,
    SettingKind.FILE: _file,
}
