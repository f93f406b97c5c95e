"""Deterministic Singer streams for benchmarks: one stream, 12 columns, N rows.

The columns mix what real extracts carry: integers, short floats, a 2-decimal amount,
booleans, ISO timestamps, ASCII and non-ASCII text, and nulls.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from elt.protocol import MessageWriter

STREAM = "events"
SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "user_name": {"type": ["string", "null"]},
        "email": {"type": ["string", "null"]},
        "score": {"type": ["number", "null"]},
        "active": {"type": ["boolean", "null"]},
        "created_at": {"type": ["string", "null"], "format": "date-time"},
        "city": {"type": ["string", "null"]},
        "quantity": {"type": ["integer", "null"]},
        "ratio": {"type": ["number", "null"]},
        "tags": {"type": ["string", "null"]},
        "note": {"type": ["string", "null"]},
        "amount": {"type": ["number", "null"]},
    },
}
CITIES = ("Zürich", "São Paulo", "Kraków", "New York", "東京", "Berlin")


def records(rows: int) -> Iterator[dict[str, Any]]:
    for i in range(rows):
        yield {
            "id": i,
            "user_name": f"user {i}",
            "email": f"user{i}@example.com",
            "score": (i % 1000) / 8,
            "active": i % 3 == 0,
            "created_at": f"2026-{1 + i % 12:02d}-{1 + i % 28:02d}T{i % 24:02d}:{i % 60:02d}:00Z",
            "city": CITIES[i % len(CITIES)],
            "quantity": i % 97,
            "ratio": 0.25 * (i % 7),
            "tags": "alpha,beta" if i % 2 else "gamma",
            "note": None if i % 5 else f"note {i}",
            "amount": round(i * 1.37 % 10000, 2),
        }


def write_stream(path: Path, rows: int) -> Path:
    """Write SCHEMA, ``rows`` RECORDs and a final STATE to ``path`` (kept if it exists)."""
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    with tmp.open("wb") as out, MessageWriter(out, buffer_bytes=1 << 20) as writer:
        writer.write_schema(STREAM, SCHEMA, ["id"])
        for record in records(rows):
            writer.write_record(STREAM, record, time_extracted="2026-11-21T00:00:00+00:00")
        writer.write_state({"bookmarks": {STREAM: {"id": rows - 1}}})
    tmp.replace(path)
    return path


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("out", type=Path)
    args = parser.parse_args()
    sys.stdout.write(f"{write_stream(args.out, args.rows)}\n")
