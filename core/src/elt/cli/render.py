"""Turning results into text: scalars, aligned tables, JSON.

stdout carries results (so ``elt config get`` composes in a shell); notes and errors go to
stderr.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

import click
import orjson

FC = TypeVar("FC", bound=Callable[..., object])

__all__ = ["format_option", "json_text", "table", "value_text"]


def value_text(value: object) -> str:
    """A value as one would type it: text as is, nothing for None, the rest as JSON."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return orjson.dumps(value).decode()


def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Columns padded to their widest cell, headers in capitals; no trailing spaces."""
    cells = [[h.upper() for h in headers], *[list(row) for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    return "\n".join(
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in cells
    )


def json_text(data: object) -> str:
    """Indented JSON for ``--format json``."""
    return orjson.dumps(data, option=orjson.OPT_INDENT_2).decode()


def format_option(human: str) -> Callable[[FC], FC]:
    """``--format human|json`` (passed as ``output``): text for people, JSON for scripts."""
    return click.option(
        "--format",
        "output",
        type=click.Choice([human, "json"]),
        default=human,
        show_default=True,
        help=f"{human.capitalize()} for people, JSON for scripts.",
    )
