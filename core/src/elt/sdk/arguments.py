"""The files and values an elt plugin's command line names: ``--config``, ``--state``,
``--catalog``.

singer-sdk reads each with a bare ``json.load`` and a missing or malformed file ends in a
traceback (exit 1). Here each is one :class:`~elt.errors.ConfigError` (exit 78) naming the
file, the line and what was expected, and two things a shell user meets are taken:

- ``--config`` is a JSON file, ``ENV`` (settings from ``<PLUGIN>_<SETTING>`` variables), or
  an inline JSON object (``--config '{"path": "lake"}'``); several merge left to right.
- ``--state`` is a JSON object, or JSON Lines as a target writes them on stdout (one state
  per line, the last the newest): ``tap | target > state.json`` gives such a file, and
  ``tap --state state.json`` continues from its last line. An empty file is no state.

Values never appear in these errors: a config holds passwords.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from elt.errors import ConfigError

__all__ = ["config_argument", "read_catalog_file", "read_json_object", "read_state_file"]

CONFIG_HELP = (
    'Configuration: a JSON file, an inline JSON object (\'{"path": "lake"}\'), or ENV to '
    "read <PLUGIN>_<SETTING> environment variables; several merge left to right."
)
STATE_HELP = (
    "A state file to continue from: a JSON object, or JSON Lines as a target writes them "
    "(`tap | target > state.json`), of which the last line is used."
)
CATALOG_HELP = "A Singer catalog file (JSON) selecting the streams and properties to sync."

_CONFIG_FORMS = "--config takes a JSON file, an inline JSON object or ENV"


def config_argument(value: str) -> dict[str, Any] | None:
    """The settings one ``--config`` value holds; None for ``ENV``."""
    if value == "ENV":
        return None
    if value.lstrip().startswith("{"):
        return _object(_parse(value, "the inline --config JSON"), "the inline --config JSON")
    path = Path(value)
    return _object(_parse(_read(path, "config file", _CONFIG_FORMS), str(path)), str(path))


def read_state_file(value: str) -> dict[str, Any]:
    """The state to start from: the file's JSON object, or the last of its JSON lines."""
    path = Path(value)
    text = _read(path, "state file", "give the file a target wrote, or leave --state out")
    if not text.strip():
        return {}
    try:
        return _object(json.loads(text), str(path))
    except json.JSONDecodeError:
        pass  # JSON Lines, or broken: read line by line to say which
    state: dict[str, Any] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            state = _object(_parse(line, f"{path} line {number}"), f"{path} line {number}")
    return state


def read_catalog_file(value: str) -> dict[str, Any]:
    """The catalog a ``--catalog`` file holds."""
    path = Path(value)
    text = _read(path, "catalog file", "write one with --discover")
    return _object(_parse(text, str(path)), str(path))


def read_json_object(path: Path, what: str, hint: str) -> dict[str, Any]:
    """The JSON object of another file a flag names (``--partition``), reported alike."""
    return _object(_parse(_read(path, what, hint), str(path)), str(path))


def _read(path: Path, what: str, hint: str) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"the {what} {path} does not exist", hint=hint) from None
    except IsADirectoryError:
        raise ConfigError(f"the {what} {path} is a directory, not a file", hint=hint) from None
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"the {what} {path} is not UTF-8 text (byte {exc.start})", hint=hint
        ) from None
    except OSError as exc:
        raise ConfigError(f"cannot read the {what} {path}: {exc.strerror}", hint=hint) from None


def _parse(text: str, where: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(
            f"not valid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}",
            where=where,
            hint="fix or regenerate it",
        ) from None


def _object(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ConfigError(
            f"expected a JSON object, got {type(value).__name__}",
            where=where,
            hint="fix or regenerate it",
        )
    return value
