"""``elt inspect``: read a Singer message stream and say what it holds."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import click

from elt.cli.render import format_option, json_text, table
from elt.errors import UsageError
from elt.protocol import Summary, summarize

__all__ = ["inspect"]


@click.command()
@click.argument("source", required=False, type=click.Path(dir_okay=False, path_type=Path))
@format_option("table")
def inspect(source: Path | None, output: str) -> None:
    """Check a Singer stream (a file, or stdin) and count its messages per stream.

    Every line is parsed and checked; the first malformed one stops the check with its
    line number and what was expected (exit 65). Use it on a tap's output before pointing
    a target at it.

    \b
    Examples:
      tap-csv --config tap.json | elt inspect
      elt inspect output.jsonl --format json
    """
    started = time.perf_counter()
    if source is None:
        summary = summarize(sys.stdin.buffer, name="<stdin>")
    else:
        try:
            with source.open("rb") as stream:
                summary = summarize(stream, name=str(source))
        except FileNotFoundError:
            raise UsageError(
                f"no such file: {source}", hint="give a Singer stream file, or pipe one on stdin"
            ) from None
    seconds = time.perf_counter() - started
    if output == "json":
        click.echo(json_text(_as_dict(summary)))
        return
    rows = [
        [
            _visible(s.name),
            str(s.messages["RECORD"]),
            ",".join(map(_visible, s.key_properties)),
            str(s.properties),
        ]
        for s in summary.streams.values()
    ]
    click.echo(table(["stream", "records", "key properties", "properties"], rows))
    rate = summary.lines / seconds if seconds > 0 else 0.0
    click.echo(
        f"{summary.lines:,} lines, {summary.records:,} records, {summary.states} states; "
        f"read in {seconds:.2f} s ({rate:,.0f} lines/s)",
        err=True,
    )


def _visible(name: str) -> str:
    """A name as it can be read in a table: quoted and escaped when it is empty or holds a
    character a terminal would not show (a NUL, a newline)."""
    return name if name.isprintable() and name.strip() == name and name else json.dumps(name)


def _as_dict(summary: Summary) -> dict[str, object]:
    return {
        "lines": summary.lines,
        "records": summary.records,
        "states": summary.states,
        "last_state": summary.last_state,
        "merged_state": summary.merged_state,
        "streams": {
            s.name: {
                "key_properties": s.key_properties,
                "properties": s.properties,
                "messages": dict(s.messages),
            }
            for s in summary.streams.values()
        },
    }
