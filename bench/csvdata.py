"""A realistic 12-column table as CSV, deterministic, for the Postgres load benchmark.

Columns: bigint id, uuid, text name and email, a nullable country, two timestamptz, a
numeric(12,2) amount, an integer quantity, a boolean, a nullable double score and a
nullable free-text note that sometimes holds commas, quotes and newlines.
"""

from __future__ import annotations

import argparse
import csv
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

COLUMNS = (
    "id", "order_uuid", "customer_name", "email", "country", "created_at", "updated_at",
    "amount", "quantity", "is_active", "score", "note",
)  # fmt: skip

# The same table as Postgres DDL, for the `\copy` limit.
DDL = """(
    id bigint primary key, order_uuid uuid, customer_name text, email text, country text,
    created_at timestamptz, updated_at timestamptz, amount numeric(12,2), quantity integer,
    is_active boolean, score double precision, note text
)"""

COUNTRIES = ("CH", "BR", "PL", "US", "JP", "DE", "", "FR")
NOTES = ("", "", "", "leave at door", 'said "hi", twice', "line one\nline two", "Zürich ✓")


def rows(count: int) -> Iterator[tuple[object, ...]]:
    namespace = uuid.UUID("6f1c1b8e-0000-4000-8000-000000000000")
    for i in range(count):
        day = 1 + i % 28
        yield (
            i + 1,
            uuid.uuid5(namespace, str(i)),
            f"Customer {i % 50_000}",
            f"customer{i % 50_000}@example.com",
            COUNTRIES[i % len(COUNTRIES)],
            f"2026-{1 + i % 12:02d}-{day:02d}T{i % 24:02d}:{i % 60:02d}:{i % 59:02d}Z",
            f"2026-{1 + i % 12:02d}-{day:02d}T{(i + 1) % 24:02d}:{i % 60:02d}:00Z",
            f"{(i * 7919) % 1_000_000 / 100:.2f}",
            i % 1000,
            "true" if i % 3 else "false",
            "" if i % 10 == 0 else f"{(i % 977) / 7:.6f}",
            NOTES[i % len(NOTES)],
        )


def write_csv(path: Path, count: int) -> Path:
    """Write ``count`` rows with a header to ``path`` unless it already exists."""
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    with tmp.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(COLUMNS)
        writer.writerows(rows(count))
    tmp.replace(path)
    return path


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("out", type=Path)
    args = parser.parse_args()
    sys.stdout.write(f"{write_csv(args.out, args.rows)}\n")
