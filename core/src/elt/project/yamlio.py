"""plugins.yml as text: parse, locate lines, convert to plain data, and write back.

ruamel.yaml's round-trip mode is used for both reading and editing: every node remembers its
line (so an error can point at it) and its comments (so ``elt add`` and ``elt config set``
leave the rest of a hand-written file exactly as it was). ruamel has no type stubs, so its
objects stay inside this module; the rest of the package sees plain dicts, lists and
scalars, or an opaque document it hands back to :func:`dump`.
"""

from __future__ import annotations

import io
from datetime import date, datetime
from typing import Any, cast

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from elt.errors import ProjectError
from elt.project.problems import Loc

__all__ = ["dump", "line_of", "parse", "remove_item", "to_plain"]


def _engine(text: str) -> YAML:
    yaml = YAML(typ="rt", pure=True)
    yaml.preserve_quotes = True
    yaml.width = 4096
    mapping, sequence, offset = _guess_indent(text)
    yaml.indent(mapping=mapping, sequence=sequence, offset=offset)
    return yaml


def parse(text: str, *, label: str) -> Any:
    """Parse YAML text into a round-trip document; syntax errors name the file and line."""
    try:
        return _engine(text).load(text)
    except MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        where = f"{label}:{mark.line + 1}" if mark is not None else label
        problem = error.problem or error.context or "malformed document"
        column = f" (column {mark.column + 1})" if mark is not None else ""
        raise ProjectError(f"invalid YAML: {problem}{column}", where=where) from None
    except YAMLError as error:
        raise ProjectError(f"invalid YAML: {error}", where=label) from None


def dump(document: Any, *, like: str) -> str:
    """Serialise a round-trip document, indenting the way the original text ``like`` did."""
    stream = io.StringIO()
    _engine(like).dump(document, stream)
    return stream.getvalue()


def line_of(document: Any, loc: Loc) -> int | None:
    """The 1-based line of the deepest node of ``loc`` present in the document."""
    line: int | None = None
    node = document
    for part in loc:
        try:
            if isinstance(node, dict) and part in node:
                line = cast(Any, node).lc.key(part)[0] + 1
            elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
                line = cast(Any, node).lc.item(part)[0] + 1
            else:
                break
        except (AttributeError, KeyError, TypeError):  # a node built in memory has no position
            break
        node = node[part]
    return line


def remove_item(text: str, loc: Loc, *, label: str) -> str:
    """``text`` without the sequence item at ``loc`` (a YAML path ending in its index).

    ruamel keeps a comment with the node before it, so deleting a node from the document
    would take the comments above the next entry with it. A block sequence is therefore
    edited as text: the item goes from its ``-`` line to the next line at its indentation
    or less, with the comment lines just above it (its header, at its indentation) and
    without the comments and blank lines that end it at a lesser one (they belong to what
    follows). A sequence left empty is written ``[]``. Flow sequences (``[a, b]``) go
    through ruamel.
    """
    document = parse(text, label=label)
    parent = document
    for part in loc[:-2]:
        parent = parent[part]
    key, index = loc[-2], loc[-1]
    sequence = parent[key]
    assert isinstance(index, int)
    if sequence.fa.flow_style():
        del sequence[index]
        return dump(document, like=text)
    lines = text.splitlines(keepends=True)
    dash = sequence.lc.item(index)[0]
    while not lines[dash].lstrip().startswith("-"):
        dash -= 1
    column = _indent(lines[dash])
    end = dash + 1
    while end < len(lines) and (not lines[end].strip() or _indent(lines[end]) > column):
        end += 1
    while end - 1 > dash and not lines[end - 1].strip():
        end -= 1
    start = dash
    while start > 0 and lines[start - 1].lstrip().startswith("#"):
        if _indent(lines[start - 1]) != column:
            break
        start -= 1
    kept = lines[:start] + lines[end:]
    if len(sequence) == 1:
        row = parent.lc.key(key)[0]
        content, hash_, comment = kept[row].rstrip("\n").partition(" #")
        kept[row] = f"{content.rstrip()} []{'  #' + comment if hash_ else ''}\n"
    return "".join(kept)


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def to_plain(node: Any) -> object:
    """Strip ruamel's wrapper types so validation sees only JSON-like values.

    Dates become ISO 8601 strings, as a plugin receives them in its JSON config; keys keep
    their YAML type so that a non-string key is reported rather than silently converted.
    """
    if isinstance(node, dict):
        return {(str(k) if isinstance(k, str) else k): to_plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [to_plain(item) for item in node]
    if node is None or isinstance(node, bool):
        return node if node is None else bool(node)
    if isinstance(node, int):
        return int(node)
    if isinstance(node, float):
        return float(node)
    if isinstance(node, datetime | date):
        return node.isoformat()
    return str(node)


def _guess_indent(text: str) -> tuple[int, int, int]:
    """(mapping, sequence, offset) indentation as used in ``text``; elt's style if unknown.

    ruamel re-indents what it writes, so an edit would otherwise reflow every list in a
    file written as ``taps:\\n- name: x`` into ``taps:\\n  - name: x``.
    """
    mapping: int | None = None
    offset: int | None = None
    opener: int | None = None
    for raw in text.splitlines():
        content = raw.split(" #", 1)[0].rstrip()
        stripped = content.lstrip(" ")
        if not stripped or stripped.startswith("#"):
            continue
        indent = len(content) - len(stripped)
        if opener is not None and indent >= opener:
            if stripped.startswith("-") and offset is None:
                offset = indent - opener
            elif not stripped.startswith("-") and mapping is None and indent > opener:
                mapping = indent - opener
        if mapping is not None and offset is not None:
            break
        opener = indent if content.endswith(":") and not stripped.startswith("-") else None
    mapping = mapping or 2
    offset = 2 if offset is None else offset
    return mapping, offset + 2, offset
