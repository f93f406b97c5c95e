"""Editing the project's ``.env``: set or remove one variable, leave the rest untouched.

``.env`` holds the secrets that must not be committed with plugins.yml, so a new one is
created readable by its owner only (0600). Lines are rewritten from python-dotenv's own
parser, so comments, ordering, ``export`` prefixes and multi-line values of the other
variables survive byte for byte. Values are written single-quoted, the one dotenv quoting in
which ``$`` and ``#`` are literal; only ``\\`` and ``'`` need escaping there.
"""

from __future__ import annotations

import io
from pathlib import Path

from dotenv.parser import parse_stream

from elt.files import atomic_write

__all__ = ["quote", "set_variable", "unset_variable"]

_NEW_FILE_MODE = 0o600


def quote(value: str) -> str:
    """``it's`` -> ``'it\\'s'``: a dotenv value that reads back exactly as ``value``."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def set_variable(path: Path, name: str, value: str) -> None:
    """Set ``name`` to ``value`` in the file, replacing an earlier definition in place."""
    line = f"{name}={quote(value)}\n"
    chunks, found = _without(path, name, replacement=line)
    if not found:
        if chunks and not chunks[-1].endswith("\n"):
            chunks.append("\n")
        chunks.append(line)
    _write(path, "".join(chunks))


def unset_variable(path: Path, name: str) -> bool:
    """Remove every definition of ``name``; False if there was none (or no file)."""
    if not path.is_file():
        return False
    chunks, found = _without(path, name, replacement="")
    if found:
        _write(path, "".join(chunks))
    return found


def _without(path: Path, name: str, *, replacement: str) -> tuple[list[str], bool]:
    """The file's text as chunks, the first definition of ``name`` replaced, others dropped."""
    text = path.read_text(encoding="utf-8") if path.is_file() else ""
    chunks: list[str] = []
    found = False
    for binding in parse_stream(io.StringIO(text)):
        if binding.key != name:
            chunks.append(binding.original.string)
        elif not found:
            chunks.append(replacement)
            found = True
    return chunks, found


def _write(path: Path, text: str) -> None:
    atomic_write(path, text, mode=None if path.exists() else _NEW_FILE_MODE)
