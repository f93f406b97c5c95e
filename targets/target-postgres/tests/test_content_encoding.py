"""interpret_content_encoding: base16/base64 strings become bytea, decoded, on every path."""

from __future__ import annotations

import base64
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from elt.errors import ProtocolError

Load = Callable[..., Any]

PROPERTIES = {
    "id": {"type": "integer"},
    "hex": {"type": ["string", "null"], "contentEncoding": "base16"},
    "b64": {"type": ["string", "null"], "contentEncoding": "base64"},
}
RECORDS = [
    {"id": 1, "hex": "0xA1B2C3", "b64": base64.b64encode(b"\x00\xffhello").decode()},
    {"id": 2, "hex": "abc", "b64": "aGVs\nbG8="},  # odd digits; base64 with a line break
    {"id": 3, "hex": "", "b64": ""},
    {"id": 4, "hex": None, "b64": None},
]
STORED = [
    (1, b"\xa1\xb2\xc3", b"\x00\xffhello"),
    (2, b"\x0a\xbc", b"hello"),
    (3, b"", b""),
    (4, None, None),
]


def test_encoded_strings_are_stored_as_decoded_bytes(load: Load, db: Any, m: Any) -> None:
    load(
        [m.schema("blobs", PROPERTIES), *[m.record("blobs", r) for r in RECORDS]],
        interpret_content_encoding=True,
    )

    assert db.columns("public", "blobs") == {"id": "bigint", "hex": "bytea", "b64": "bytea"}
    rows = db.rows("SELECT id, hex, b64 FROM blobs ORDER BY id")
    assert [(i, h and bytes(h), b and bytes(b)) for i, h, b in rows] == STORED


def test_without_the_setting_encoded_strings_are_text(load: Load, db: Any, m: Any) -> None:
    load([m.schema("blobs", PROPERTIES), m.record("blobs", RECORDS[0])])

    assert db.rows("SELECT hex FROM blobs") == [("0xA1B2C3",)]


@pytest.mark.parametrize(
    ("record", "prop"),
    [({"id": 5, "b64": "not base64!"}, "b64"), ({"id": 5, "hex": "0xZZ"}, "hex")],
)
def test_text_that_is_not_its_encoding_names_line_and_property(
    load: Load, m: Any, record: dict[str, Any], prop: str
) -> None:
    with pytest.raises(ProtocolError) as raised:
        load(
            [
                m.schema("blobs", PROPERTIES),
                m.record("blobs", RECORDS[0]),
                m.record("blobs", record),
            ],
            interpret_content_encoding=True,
        )

    assert raised.value.where == f"<input> line 3, stream 'blobs', property {prop!r}"


def test_csv_batch_files_are_decoded_too(load: Load, db: Any, m: Any, tmp_path: Path) -> None:
    lines = [f"{r['id']},{r['hex'] or ''},{r['b64'] or ''}" for r in RECORDS]
    lines[1] = '2,abc,"aGVs\nbG8="'
    lines[2] = '3,"",""'
    path = tmp_path / "blobs.csv"
    path.write_text("id,hex,b64\n" + "\n".join(lines) + "\n")
    batch = {
        "type": "BATCH",
        "stream": "blobs",
        "encoding": {"format": "csv", "compression": "none"},
        "manifest": [path.as_uri()],
    }
    load([m.schema("blobs", PROPERTIES), batch], interpret_content_encoding=True)

    rows = db.rows("SELECT id, hex, b64 FROM blobs ORDER BY id")
    assert [(i, h and bytes(h), b and bytes(b)) for i, h, b in rows] == STORED
