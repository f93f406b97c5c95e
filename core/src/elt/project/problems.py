"""What is wrong in plugins.yml, said in the file's own terms.

Pydantic reports errors by ``loc`` (a tuple of keys and indexes) in its own wording. A
person editing YAML wants the dotted path they can see, the line to jump to, and what was
expected, so every check in this package produces a :class:`Problem` (a ``loc`` and a
sentence) and :func:`project_error` renders all of them at once, one per line::

    plugins.taps[2].config.port: expected integer, got "abc" (plugins.yml:14)

A single problem becomes a ProjectError whose ``where`` is the dotted path; several become
one ProjectError whose ``where`` is the file, with one problem per line in the message.
"""

from __future__ import annotations

import difflib
import re
import types
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError

from elt.errors import ProjectError
from elt.project.kinds import describe
from elt.project.model import SECTIONS, Manifest

__all__ = ["Loc", "Problem", "did_you_mean", "from_validation_error", "project_error", "render_loc"]

Loc = tuple[str | int, ...]
_BARE_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
_EXPECTED = {
    "string_type": "string",
    "int_type": "integer",
    "int_parsing": "integer",
    "int_from_float": "integer",
    "float_type": "number",
    "float_parsing": "number",
    "bool_type": "boolean",
    "bool_parsing": "boolean",
    "list_type": "list",
    "dict_type": "mapping",
    "model_type": "mapping",
    "model_attributes_type": "mapping",
}


@dataclass(frozen=True)
class Problem:
    """One thing wrong at one place in plugins.yml."""

    loc: Loc
    message: str
    hint: str | None = None


def render_loc(loc: Loc) -> str:
    """``("plugins", "taps", 2, "config", "a.b")`` -> ``plugins.taps[2].config["a.b"]``."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        elif _BARE_KEY.fullmatch(part):
            text += f".{part}" if text else part
        else:
            text += f'["{part}"]'
    return text or "(top level)"


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """A ``Did you mean "x"?`` sentence for the closest choice, or an empty string.

    A choice that starts with the word (``int`` -> ``integer``) is taken first; otherwise
    the cutoff is high because names in one project share prefixes (``tap-``), which makes
    unrelated names look similar.
    """
    options = list(choices)
    if len(word) >= 3:
        prefixed = [c for c in options if c.startswith(word) or word.startswith(c)]
        if prefixed:
            return f'Did you mean "{prefixed[0]}"?'
    matches = difflib.get_close_matches(word, options, n=1, cutoff=0.75)
    return f'Did you mean "{matches[0]}"?' if matches else ""


def project_error(
    problems: Sequence[Problem], *, label: str, line_of: Callable[[Loc], int | None]
) -> ProjectError:
    """Render problems, sorted by line, as the one ProjectError a user reads."""
    located = sorted(((line_of(p.loc), p) for p in problems), key=lambda lp: lp[0] or 0)
    if len(located) == 1:
        line, problem = located[0]
        return ProjectError(
            f"{problem.message}{_suffix(label, line)}",
            where=render_loc(problem.loc),
            hint=problem.hint,
        )
    lines = [
        f"  {render_loc(p.loc)}: {p.message}{_suffix(label, line)}"
        + (f". {p.hint}" if p.hint else "")
        for line, p in located
    ]
    return ProjectError(f"{len(lines)} problems:\n" + "\n".join(lines), where=label)


def _suffix(label: str, line: int | None) -> str:
    return f" ({label}:{line})" if line else f" ({label})"


def from_validation_error(error: ValidationError) -> list[Problem]:
    """Translate pydantic's errors into problems worded for someone editing YAML."""
    return [_translate(detail) for detail in error.errors(include_url=False)]


def _translate(detail: Any) -> Problem:
    loc: Loc = tuple(detail["loc"])
    kind: str = detail["type"]
    got = describe(detail.get("input"))
    if loc and loc[-1] == "[key]":
        return Problem(loc[:-1], f"keys must be strings, got {got}")
    if kind == "missing":
        return Problem(loc[:-1], f'missing required key "{loc[-1]}"')
    if kind == "extra_forbidden":
        return _unknown_key(loc)
    if kind in _EXPECTED:
        return Problem(loc, f"expected {_EXPECTED[kind]}, got {got}")
    if kind == "enum":
        expected = detail["ctx"]["expected"].replace("'", "")
        hint = did_you_mean(str(detail.get("input")), expected.replace(" or ", ", ").split(", "))
        return Problem(loc, f"expected one of {expected}, got {got}", hint or None)
    if kind == "literal_error":
        return Problem(loc, f"expected {detail['ctx']['expected']}, got {got}")
    if kind == "value_error":
        return Problem(loc, str(detail["ctx"]["error"]))
    message: str = detail["msg"]
    return Problem(loc, message[:1].lower() + message[1:])


def _unknown_key(loc: Loc) -> Problem:
    key, parent = str(loc[-1]), loc[:-1]
    in_environment = len(parent) == 3 and parent[0] == "environments" and parent[2] == "plugins"
    if parent == ("plugins",) or in_environment:
        return Problem(
            loc,
            f"unknown plugin kind; expected one of {', '.join(SECTIONS)}",
            did_you_mean(key, SECTIONS) or None,
        )
    fields = _fields_at(parent)
    return Problem(
        loc,
        f"unknown key; expected one of {', '.join(fields)}",
        did_you_mean(key, fields) or None,
    )


def _fields_at(loc: Loc) -> list[str]:
    """The keys the model allows at ``loc``, found by walking the field annotations."""
    annotation: Any = Manifest
    for part in loc:
        annotation = _unwrap_optional(annotation)
        if isinstance(part, int) or get_origin(annotation) is dict:
            annotation = get_args(annotation)[-1]
        else:
            annotation = annotation.model_fields[part].annotation
    model = _unwrap_optional(annotation)
    if isinstance(model, type) and issubclass(model, BaseModel):
        return list(model.model_fields)
    return []


def _unwrap_optional(annotation: Any) -> Any:
    if get_origin(annotation) in (Union, types.UnionType):
        members = [arg for arg in get_args(annotation) if arg is not type(None)]
        return members[0]
    return annotation
