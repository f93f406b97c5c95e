"""BATCH messages: records in local JSON-lines files, plain or gzipped."""

from __future__ import annotations

import gzip
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from elt.errors import ProtocolError

Load = Callable[..., Any]


def batch(stream: str, files: list[Path], compression: str = "gzip") -> dict[str, Any]:
    return {
        "type": "BATCH",
        "stream": stream,
        "encoding": {"format": "jsonl", "compression": compression},
        "manifest": [f"file://{f}" for f in files],
    }


def test_gzipped_jsonl_batch_files_load_in_order(
    load: Load, db: Any, m: Any, tmp_path: Path
) -> None:
    first, second = tmp_path / "a.json.gz", tmp_path / "b.json.gz"
    first.write_bytes(gzip.compress(b'{"id": 1, "v": 1.5}\n{"id": 2, "v": 12345678901234567.89}\n'))
    second.write_bytes(gzip.compress(b'{"id": 1, "v": 3}\n'))
    load(
        [
            m.schema("t", {"id": {"type": "integer"}, "v": {"type": "number"}}),
            batch("t", [first, second]),
        ]
    )

    assert db.rows("SELECT id, v FROM t ORDER BY id") == [
        (1, Decimal("3")),
        (2, Decimal("12345678901234567.89")),
    ]


def test_bad_line_in_a_batch_file_names_the_file(load: Load, m: Any, tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_bytes(b'{"id": 1}\n{"id": \n')

    with pytest.raises(ProtocolError) as raised:
        load([m.schema("t", {"id": {"type": "integer"}}), batch("t", [path], "none")])

    assert f"{path} line 2" in str(raised.value)


def test_remote_batch_files_are_refused(load: Load, m: Any) -> None:
    message = batch("t", [])
    message["manifest"] = ["s3://bucket/key.json.gz"]

    with pytest.raises(ProtocolError, match="not a local file"):
        load([m.schema("t", {"id": {"type": "integer"}}), message])
