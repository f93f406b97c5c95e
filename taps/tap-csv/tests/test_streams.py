from __future__ import annotations

import gzip
import json
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from tap_csv import TapCsv
from tap_csv.streams import BATCH_ROWS

from elt.errors import ProtocolError

Sync = Callable[..., Any]
Write = Callable[..., Path]


def entity(path: Path | str, **settings: Any) -> dict[str, Any]:
    return {"files": [{"entity": "t", "path": str(path), **settings}]}


def test_values_are_typed_and_keep_every_digit(sync: Sync, write: Write) -> None:
    path = write(
        "a.csv",
        "id,big,amount,ok,day,at,name\n"
        "1,123456789012345678901234567890,0.1000000000000000055511151231257827,true,2026-02-28,"
        "2026-01-01T10:00:00Z,Ann\n"
        "2,-5,1e-7,FALSE,,2026-01-01 10:00:00+02:00,\n",
    )
    run = sync(entity(path))
    assert run.schemas()[0]["properties"] == {
        "id": {"type": ["integer", "null"]},
        "big": {"type": ["integer", "null"]},
        "amount": {"type": ["number", "null"]},
        "ok": {"type": ["boolean", "null"]},
        "day": {"type": ["string", "null"], "format": "date"},
        "at": {"type": ["string", "null"], "format": "date-time"},
        "name": {"type": ["string", "null"]},
    }
    assert run.records() == [
        {
            "id": 1,
            "big": 123456789012345678901234567890,
            "amount": Decimal("0.1000000000000000055511151231257827"),
            "ok": True,
            "day": "2026-02-28",
            "at": "2026-01-01T10:00:00Z",
            "name": "Ann",
        },
        {
            "id": 2,
            "big": -5,
            "amount": 1e-07,
            "ok": False,
            "day": None,
            "at": "2026-01-01 10:00:00+02:00",
            "name": None,
        },
    ]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b'id,text\n1,"a, b"\n', "a, b"),
        (b'id,text\n1,"say ""hi"""\n', 'say "hi"'),
        (b'id,text\n1,"two\nlines"\n', "two\nlines"),
        (b'id,text\r\n1,"crlf\r\ninside"\r\n', "crlf\r\ninside"),
        (b"\xef\xbb\xbfid,text\r\n1,bom\r\n", "bom"),
        ("id,text\n1,Zürich 東京 São Paulo 🙂\n".encode(), "Zürich 東京 São Paulo 🙂"),
        (b"id,text\n1,  spaced  \n", "  spaced  "),
        (b'id,text\n1,"\\u0000 \\\\ \t"\n', "\\u0000 \\\\ \t"),
    ],
)
def test_text_round_trips_exactly(raw: bytes, expected: str, sync: Sync, write: Write) -> None:
    run = sync(entity(write("a.csv", raw), schema={"text": {"type": "string"}}))
    assert run.records() == [{"id": 1, "text": expected}]


def test_a_value_the_sample_did_not_show_widens_the_column_before_its_record(
    sync: Sync, write: Write
) -> None:
    rows = "".join(f"{i},{i}\n" for i in range(BATCH_ROWS + 5))
    path = write("a.csv", f"id,code\n{rows}{BATCH_ROWS + 5},1.5\n{BATCH_ROWS + 6},n/a\n")
    run = sync(entity(path, infer_sample_rows=10))
    assert [s["properties"]["code"]["type"] for s in run.schemas()] == [
        ["integer", "null"],
        ["string", "null"],
    ]
    # The first batch went out as integers; the new SCHEMA precedes the batch that needed it.
    second_schema = [i for i, m in enumerate(run.messages) if m["type"] == "SCHEMA"][1]
    assert run.types()[1 : BATCH_ROWS + 1] == ["RECORD"] * BATCH_ROWS
    assert second_schema == BATCH_ROWS + 1
    codes = [r["code"] for r in run.records()]
    assert codes[:2] == [0, 1]
    assert codes[BATCH_ROWS:] == [str(BATCH_ROWS + i) for i in range(5)] + ["1.5", "n/a"]


def test_integers_widen_to_number_not_string_when_that_holds_them(sync: Sync, write: Write) -> None:
    path = write("a.csv", "n\n1\n2\n2.5\n")
    run = sync(entity(path, infer_sample_rows=2))
    assert [s["properties"]["n"]["type"] for s in run.schemas()] == [
        ["integer", "null"],
        ["number", "null"],
    ]
    assert [r["n"] for r in run.records()] == [1, 2, Decimal("2.5")]


def test_a_value_breaking_a_declared_type_is_an_error_naming_file_line_and_column(
    sync: Sync, write: Write
) -> None:
    path = write("a.csv", 'id,amount\n1,10\n2,"multi\nline"\n3,oops\n')
    with pytest.raises(ProtocolError) as error:
        sync(entity(path, schema={"amount": {"type": ["integer", "null"]}}))
    assert error.value.where == f"{path} line 3, column 'amount'"
    assert "'multi\\nline' is not an integer" in error.value.message


def test_a_missing_value_in_a_declared_not_null_column_is_an_error(
    sync: Sync, write: Write
) -> None:
    path = write("a.csv", "id,amount\n1,10\n2,\n")
    with pytest.raises(ProtocolError) as error:
        sync(entity(path, schema={"amount": {"type": "integer"}}))
    assert error.value.where == f"{path} line 3, column 'amount'"


def test_null_values_and_empty_strings(sync: Sync, write: Write) -> None:
    path = write("a.csv", "n,s\n1,a\nNULL,\n,NULL\n")
    assert sync(entity(path, null_values=["", "NULL"])).records() == [
        {"n": 1, "s": "a"},
        {"n": None, "s": None},
        {"n": None, "s": None},
    ]
    assert sync(entity(path, null_values=[])).records() == [
        {"n": "1", "s": "a"},
        {"n": "NULL", "s": ""},
        {"n": "", "s": "NULL"},
    ]


def test_metadata_columns_name_the_file_its_mtime_and_the_row(sync: Sync, write: Write) -> None:
    path = write("a.csv", 'id\n1\n"2"\n')
    run = sync({**entity(path), "add_metadata_columns": True})
    first, second = run.records()
    assert list(first) == ["_sdc_source_file", "_sdc_source_file_mtime", "_sdc_source_lineno", "id"]
    assert (
        first["_sdc_source_file"],
        first["_sdc_source_lineno"],
        second["_sdc_source_lineno"],
    ) == (str(path), 1, 2)
    assert first["_sdc_source_file_mtime"].endswith("+00:00")


def test_files_without_a_header_use_fieldnames(sync: Sync, write: Write) -> None:
    path = write("a.csv", "1,x\n2,y\n")
    assert sync(entity(path, fieldnames=["id", "v"])).records() == [
        {"id": 1, "v": "x"},
        {"id": 2, "v": "y"},
    ]
    replaced = sync(entity(path, fieldnames=["a", "b"], has_header=True))
    assert replaced.records() == [{"a": 2, "b": "y"}]


def test_files_of_one_entity_may_order_or_lack_columns_differently(
    sync: Sync, tmp_path: Path, write: Write
) -> None:
    write("d/1.csv", "id,a,b\n1,x,2\n")
    write("d/2.csv.gz", gzip.compress(b"b,id\n3,2\n"))
    run = sync(entity(tmp_path / "d" / "*"))
    assert run.records() == [{"id": 1, "a": "x", "b": 2}, {"id": 2, "a": None, "b": 3}]


def test_deselected_columns_are_not_read_into_records(sync: Sync, write: Write) -> None:
    path = write("a.csv", "id,secret,v\n1,pw,x\n")
    catalog = TapCsv(config=entity(path)).catalog_dict
    for item in catalog["streams"][0]["metadata"]:
        if item["breadcrumb"] == ["properties", "secret"]:
            item["metadata"]["selected"] = False
    run = sync(entity(path), catalog=catalog)
    assert run.records() == [{"id": 1, "v": "x"}]
    assert "secret" not in run.schemas()[0]["properties"]


def test_stream_maps_take_the_sdk_record_path_with_the_same_records(
    sync: Sync, write: Write
) -> None:
    rows = "".join(f"{i},{i * 1.5},t{i}\n" for i in range(BATCH_ROWS + 3))
    path = write("a.csv", f"id,x,s\n{rows}{BATCH_ROWS + 3},oops,z\n")
    lean = sync(entity(path, infer_sample_rows=5))
    mapped = sync({**entity(path, infer_sample_rows=5), "stream_maps": {"t": {"__alias__": "u"}}})
    assert mapped.records("u") == lean.records("t")
    assert [s["properties"]["x"] for s in mapped.schemas()] == [
        s["properties"]["x"] for s in lean.schemas()
    ]
    assert len(lean.schemas()) == 2


def test_stream_maps_can_transform_records(sync: Sync, write: Write) -> None:
    path = write("a.csv", "id,v\n1,2\n")
    config = {**entity(path), "stream_maps": {"t": {"double": "v * 2", "v": None}}}
    assert sync(config).records() == [{"id": 1, "double": 4}]


def test_get_records_gives_python_values_without_touching_state(write: Write) -> None:
    path = write("a.csv", "id,amount\n1,2.50\n")
    stream = TapCsv(config=entity(path)).streams["t"]
    assert list(stream.get_records(None)) == [{"id": 1, "amount": Decimal("2.50")}]
    assert stream.stream_state == {}


def test_activate_version_sends_every_file_with_the_version(sync: Sync, write: Write) -> None:
    path = write("a.csv", "id\n1\n")
    config = {**entity(path), "emit_activate_version_messages": True}
    state = sync(config).state
    run = sync(config, state=state)
    versions = [m for m in run.messages if m["type"] in ("ACTIVATE_VERSION", "RECORD")]
    assert [m["type"] for m in versions] == ["ACTIVATE_VERSION", "RECORD"]
    assert versions[1]["version"] == versions[0]["version"]


def test_batch_messages_carry_the_same_records(sync: Sync, tmp_path: Path, write: Write) -> None:
    path = write("a.csv", "id,v\n1,x\n2,y\n")
    storage = {"root": f"file://{tmp_path}", "prefix": "batch-"}
    config = {
        **entity(path),
        "batch_config": {
            "encoding": {"format": "jsonl", "compression": "gzip"},
            "storage": storage,
        },
    }
    run = sync(config)
    [batch] = [m for m in run.messages if m["type"] == "BATCH"]
    [url] = batch["manifest"]
    lines = gzip.decompress(Path(url.removeprefix("file://")).read_bytes()).splitlines()
    assert [json.loads(line) for line in lines] == [{"id": 1, "v": "x"}, {"id": 2, "v": "y"}]
    assert run.state["bookmarks"]["t"]["files"]
