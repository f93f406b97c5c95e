"""``${VAR}`` interpolation in the string values of plugins.yml.

Secrets and per-machine values stay out of the committed file: a value refers to a variable
and elt fills it in when the project is loaded. The syntax is the subset of the shell's that
people write in compose files, kept small so that it is predictable:

- ``${VAR}`` is the value of VAR; a VAR that is not set is an error naming the YAML path.
- ``${VAR:-default}`` is the value of VAR, or ``default`` when VAR is unset or empty.
- ``$$`` is a literal ``$``; a ``$`` followed by anything else is kept as is (``^a$``).

Only values are interpolated, never keys. Variables come from the process environment first,
then from the project's ``.env`` (read, never exported into the process environment).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from elt.project.problems import Loc, Problem

__all__ = [
    "Lookup",
    "MissingVariableError",
    "interpolate",
    "interpolate_tree",
    "lookup_in",
    "referenced_variables",
]

Lookup = Callable[[str], str | None]

_TOKEN = re.compile(r"\$\$|\$\{(?P<body>[^}]*)(?P<close>\}?)")
_REFERENCE = re.compile(r"(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?::-(?P<default>.*))?", re.DOTALL)


class MissingVariableError(LookupError):
    """A ``${VAR}`` without a default names a variable that is set nowhere."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


def lookup_in(*sources: Mapping[str, str]) -> Lookup:
    """A lookup that tries each mapping in turn: the first that has the variable wins."""

    def lookup(name: str) -> str | None:
        for source in sources:
            if name in source:
                return source[name]
        return None

    return lookup


def interpolate(text: str, lookup: Lookup) -> str:
    """Fill in every reference in ``text``.

    Raises MissingVariableError for an unset variable without a default, and ValueError for
    a reference that is not well formed (``${}``, ``${1X}``, an unclosed ``${``).
    """

    def replace(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        body = match.group("body")
        reference = _REFERENCE.fullmatch(body)
        if not match.group("close") or reference is None:
            shown = match.group(0)
            raise ValueError(
                f'invalid reference "{shown}"; write ${{NAME}} or ${{NAME:-default}}, '
                "and $$ for a literal $"
            )
        value = lookup(reference.group("name"))
        default = reference.group("default")
        if default is not None and not value:
            return default
        if value is None:
            raise MissingVariableError(reference.group("name"))
        return value

    return _TOKEN.sub(replace, text)


def interpolate_tree(tree: object, lookup: Lookup, loc: Loc = ()) -> tuple[object, list[Problem]]:
    """Interpolate every string value in a tree of dicts and lists.

    Returns the new tree and one problem per value that could not be filled in, so that a
    file with several missing variables reports all of them at once.
    """
    problems: list[Problem] = []
    if isinstance(tree, dict):
        result: dict[object, object] = {}
        for key, value in tree.items():
            part = key if isinstance(key, str | int) else str(key)
            result[key], found = interpolate_tree(value, lookup, (*loc, part))
            problems.extend(found)
        return result, problems
    if isinstance(tree, list):
        items: list[object] = []
        for index, value in enumerate(tree):
            item, found = interpolate_tree(value, lookup, (*loc, index))
            items.append(item)
            problems.extend(found)
        return items, problems
    if not isinstance(tree, str):
        return tree, problems
    try:
        return interpolate(tree, lookup), problems
    except MissingVariableError as missing:
        name = missing.name
        problems.append(
            Problem(
                loc,
                f"environment variable {name} is not set",
                f"Set it in the environment or in .env, or give a default: ${{{name}:-value}}",
            )
        )
    except ValueError as invalid:
        problems.append(Problem(loc, str(invalid)))
    return tree, problems


def referenced_variables(tree: object) -> frozenset[str]:
    """The names of the variables that string values anywhere in ``tree`` refer to."""
    if isinstance(tree, dict):
        return frozenset().union(*(referenced_variables(v) for v in tree.values()))
    if isinstance(tree, list):
        return frozenset().union(*(referenced_variables(v) for v in tree))
    if not isinstance(tree, str):
        return frozenset()
    names = set()
    for match in _TOKEN.finditer(tree):
        reference = _REFERENCE.fullmatch(match.group("body") or "")
        if reference is not None:
            names.add(reference.group("name"))
    return frozenset(names)
