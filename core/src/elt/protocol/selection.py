"""Selection rules: which streams and properties of a catalog a run extracts.

A rule is ``[!]STREAM[.PROPERTY]``: shell-style globs (``*``, ``?``, ``[ab]``), matched
case-sensitively; the stream part ends at the first dot, so ``users.address.city`` names a
nested property. ``users`` alone means ``users.*``. A leading ``!`` excludes.

- A stream is selected when an include rule matches its id, unless an exclude rule
  removes the whole stream (``!users`` or ``!users.*``).
- A property is selected when an include rule matches it or one of its parent objects,
  and no exclude rule does. Selecting an object selects what it contains.
- Properties the tap marks ``inclusion: automatic`` (primary and replication keys) stay
  selected whatever the rules say; ``unsupported`` ones never are.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase

from elt.errors import ConfigError
from elt.protocol.catalog import Catalog, CatalogEntry, property_breadcrumb


@dataclass(frozen=True, slots=True)
class SelectionRule:
    """One parsed rule; ``prop`` is a glob over the dotted property path."""

    stream: str
    prop: str
    exclude: bool

    @classmethod
    def parse(cls, text: str) -> SelectionRule:
        raw = text.strip()
        exclude = raw.startswith("!")
        body = raw[1:] if exclude else raw
        stream, _, prop = body.partition(".")
        if not stream or (body.endswith(".") and not prop):
            raise ConfigError(
                f"selection rule {text!r} is malformed",
                hint="write STREAM, STREAM.*, STREAM.PROPERTY or !STREAM.PROPERTY "
                "(globs allowed), e.g. users.* or !users.password",
            )
        return cls(stream=stream, prop=prop or "*", exclude=exclude)

    def matches_stream(self, stream_id: str) -> bool:
        return fnmatchcase(stream_id, self.stream)

    def matches_property(self, stream_id: str, path: Sequence[str]) -> bool:
        """True if the rule names this property or one of its parent objects."""
        if not self.matches_stream(stream_id):
            return False
        return any(
            fnmatchcase(".".join(path[:depth]), self.prop) for depth in range(1, len(path) + 1)
        )

    def __str__(self) -> str:
        return f"{'!' if self.exclude else ''}{self.stream}.{self.prop}"


@dataclass(frozen=True, slots=True)
class SelectionLine:
    """What the rules make of one stream (``path == ()``) or one property of it."""

    stream: str
    path: tuple[str, ...]
    status: str  # selected | automatic | excluded | unsupported | not selected

    @property
    def name(self) -> str:
        return ".".join((self.stream, *self.path))


def explain_selection(
    catalog: Catalog, rules: Iterable[str | SelectionRule]
) -> list[SelectionLine]:
    """Each stream and property of ``catalog`` with what ``rules`` make of it, for people.

    Without rules the catalog's own metadata (the tap's ``selected-by-default``) decides.
    ``excluded`` means an exclude rule removed it; ``automatic`` (keys) and ``unsupported``
    are the tap's word, whatever the rules say.
    """
    parsed = [r if isinstance(r, SelectionRule) else SelectionRule.parse(r) for r in rules]
    excludes = [r for r in parsed if r.exclude]
    narrowed = apply_selection(catalog, parsed) if parsed else catalog
    lines: list[SelectionLine] = []
    for entry in narrowed.streams:
        stream_id = entry.tap_stream_id
        whole = any(r.prop == "*" and r.matches_stream(stream_id) for r in excludes)
        lines.append(SelectionLine(stream_id, (), _status(entry, (), excluded=whole)))
        for path in entry.property_paths():
            excluded = whole or any(r.matches_property(stream_id, path) for r in excludes)
            status = _status(entry, property_breadcrumb(path), excluded=excluded)
            lines.append(SelectionLine(stream_id, path, status))
    return lines


def _status(entry: CatalogEntry, crumb: tuple[str, ...], *, excluded: bool) -> str:
    inclusion = entry.metadata.get(crumb, {}).get("inclusion")
    if entry.is_selected(crumb):
        return "automatic" if inclusion == "automatic" and crumb else "selected"
    if inclusion == "unsupported":
        return "unsupported"
    return "excluded" if excluded else "not selected"


def parse_rules(rules: Iterable[str]) -> list[SelectionRule]:
    return [SelectionRule.parse(rule) for rule in rules]


def apply_selection(catalog: Catalog, rules: Iterable[str | SelectionRule]) -> Catalog:
    """A copy of ``catalog`` with ``selected`` metadata set on every stream and property.

    Every breadcrumb gets an explicit ``selected`` so a tap's ``selected-by-default`` never
    brings back something the rules left out.
    """
    parsed = [r if isinstance(r, SelectionRule) else SelectionRule.parse(r) for r in rules]
    includes = [r for r in parsed if not r.exclude]
    excludes = [r for r in parsed if r.exclude]
    result = copy.deepcopy(catalog)
    for entry in result.streams:
        _select_entry(entry, includes, excludes)
    return result


def _select_entry(
    entry: CatalogEntry, includes: list[SelectionRule], excludes: list[SelectionRule]
) -> None:
    stream_id = entry.tap_stream_id
    stream_selected = any(r.matches_stream(stream_id) for r in includes) and not any(
        r.prop == "*" and r.matches_stream(stream_id) for r in excludes
    )
    entry.metadata.setdefault((), {})["selected"] = stream_selected
    chosen: set[tuple[str, ...]] = set()
    paths = list(entry.property_paths())
    for path in paths:
        if (
            stream_selected
            and any(r.matches_property(stream_id, path) for r in includes)
            and not any(r.matches_property(stream_id, path) for r in excludes)
        ):
            # naming a nested property brings along the objects that contain it
            chosen.update(path[:depth] for depth in range(1, len(path) + 1))
    for path in paths:
        entry.metadata.setdefault(property_breadcrumb(path), {})["selected"] = path in chosen
