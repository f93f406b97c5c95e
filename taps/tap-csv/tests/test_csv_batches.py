"""Streams synced to csv BATCH files: what the files hold and the order of the messages."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from tap_csv.streams import BATCH_ROWS

from elt.errors import ConfigError, ProtocolError

Sync = Callable[..., Any]
Write = Callable[..., Path]


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return tmp_path / "batches"


def config(folder: Path, *entries: dict[str, Any], **settings: Any) -> dict[str, Any]:
    batch_size = settings.pop("batch_size", 100_000)
    return {
        "files": list(entries),
        "batch_config": {
            "encoding": {"format": "csv", "compression": "none"},
            "storage": {"root": folder.as_uri()},
            "batch_size": batch_size,
        },
        **settings,
    }


def file_text(message: dict[str, Any]) -> str:
    [url] = message["manifest"]
    return Path(urlsplit(url).path).read_text(encoding="utf-8")


def kinds(messages: list[dict[str, Any]]) -> list[str]:
    return [m["type"] for m in messages]


def test_rows_go_to_a_csv_file_named_by_a_batch_message_between_schema_and_state(
    sync: Sync, write: Write, folder: Path
) -> None:
    path = write(
        "a.csv",
        "id,big,amount,ok,at,name,note\n"
        "1,123456789012345678901234567890,0.1000000000000000055511151231257827,TRUE,"
        '2026-01-01T10:00:00Z,"Smith, Bo","say ""hi""\n twice"\n'
        "2,-5,1e-7,false,2026-01-01 10:00:00+02:00,,Zürich 東京\n",
    )
    run = sync(config(folder, {"entity": "t", "path": str(path), "keys": ["id"]}))

    assert kinds(run.messages) == ["SCHEMA", "BATCH", "STATE"]
    batch = run.messages[1]
    assert batch["stream"] == "t"
    assert batch["encoding"] == {"format": "csv", "compression": "none"}
    assert file_text(batch) == (
        "id,big,amount,ok,at,name,note\n"
        "1,123456789012345678901234567890,0.1000000000000000055511151231257827,true,"
        '2026-01-01T10:00:00Z,"Smith, Bo","say ""hi""\n twice"\n'
        '2,-5,1e-7,false,2026-01-01 10:00:00+02:00,,"Zürich 東京"\n'
    )
    assert run.records() == []


def test_empty_strings_kept_by_null_values_are_quoted_and_nulls_are_empty(
    sync: Sync, write: Write, folder: Path
) -> None:
    path = write("a.csv", 'id,name,n\n1,,\n2,NULL,NULL\n3,"",5\n')
    run = sync(config(folder, {"entity": "t", "path": str(path)}, null_values=["NULL"]))
    assert file_text(run.messages[1]) == 'id,name,n\n1,"",\n2,,\n3,"",5\n'


def test_a_widened_column_starts_a_new_file_after_the_new_schema(
    sync: Sync, write: Write, folder: Path
) -> None:
    rows = [str(i) for i in range(1, BATCH_ROWS + 100)] + ["x"]
    path = write("a.csv", "id,code\n" + "".join(f"{i},{code}\n" for i, code in enumerate(rows)))
    run = sync(config(folder, {"entity": "t", "path": str(path), "infer_sample_rows": 10}))

    assert kinds(run.messages) == ["SCHEMA", "BATCH", "SCHEMA", "BATCH", "STATE"]
    assert run.messages[0]["schema"]["properties"]["code"]["type"] == ["integer", "null"]
    assert run.messages[2]["schema"]["properties"]["code"]["type"] == ["string", "null"]
    first, second = file_text(run.messages[1]), file_text(run.messages[3])
    assert first.splitlines() == ["id,code"] + [f"{i},{i + 1}" for i in range(BATCH_ROWS)]
    assert second.splitlines()[0] == "id,code"
    assert second.splitlines()[-1] == f"{len(rows) - 1},x"
    assert len(second.splitlines()) == len(rows) - BATCH_ROWS + 1


def test_files_rotate_at_batch_size_and_a_state_follows_the_files_of_its_rows(
    sync: Sync, write: Write, folder: Path
) -> None:
    write("in/a.csv", "id\n1\n2\n3\n")
    write("in/b.csv", "id\n4\n")
    run = sync(config(folder, {"entity": "t", "path": str(folder.parent / "in")}, batch_size=2))

    assert kinds(run.messages) == ["SCHEMA", "BATCH", "BATCH", "STATE", "BATCH", "STATE"]
    texts = [file_text(m) for m in run.messages if m["type"] == "BATCH"]
    assert texts == ["id\n1\n2\n", "id\n3\n", "id\n4\n"]
    first_state = run.messages[3]["value"]["bookmarks"]["t"]["files"]
    assert [Path(name).name for name in first_state] == ["a.csv"]


def test_the_replication_key_filters_rows_on_the_csv_path_too(
    sync: Sync, write: Write, folder: Path
) -> None:
    path = write("a.csv", "id,at\n1,2026-01-01\n2,2026-01-03\n3,2026-01-02\n")
    entry = {"entity": "t", "path": str(path), "replication_key": "at"}
    state = sync(config(folder, entry)).state
    write("a.csv", "id,at\n1,2026-01-01\n2,2026-01-03\n3,2026-01-02\n4,2026-01-04\n")

    run = sync(config(folder, entry), state=state)
    [batch] = [m for m in run.messages if m["type"] == "BATCH"]
    assert file_text(batch) == "id,at\n2,2026-01-03\n4,2026-01-04\n"
    assert run.state["bookmarks"]["t"]["replication_key_value"] == "2026-01-04"


def test_metadata_columns_are_written_as_csv_fields(sync: Sync, write: Write, folder: Path) -> None:
    path = write("odd, name.csv", "id\n7\n")
    run = sync(config(folder, {"entity": "t", "path": str(path)}, add_metadata_columns=True))
    header, row = file_text(run.messages[1]).splitlines()
    assert header == "_sdc_source_file,_sdc_source_file_mtime,_sdc_source_lineno,id"
    assert row.startswith(f'"{path}",20')
    assert row.endswith(",1,7")


def test_stream_maps_cannot_apply_to_csv_batches(sync: Sync, write: Write, folder: Path) -> None:
    path = write("a.csv", "id\n1\n")
    settings = config(folder, {"entity": "t", "path": str(path)})
    settings["stream_maps"] = {"t": {"id": "id * 2"}}
    with pytest.raises(ConfigError, match="stream map"):
        sync(settings)


def test_a_failed_sync_announces_no_unfinished_file_and_leaves_no_temp_file(
    sync: Sync, write: Write, folder: Path
) -> None:
    write("in/a.csv", "id,v\n1,a\n")
    write("in/b.csv", "id,v\n2,b\n3\n")
    entry = {"entity": "t", "path": str(folder.parent / "in"), "infer_sample_rows": 1}
    settings = config(folder, entry)
    with pytest.raises(ProtocolError, match="line 3"):
        sync(settings)
    # a.csv's file was finished and announced before its STATE; b.csv's was removed
    assert [p.suffix for p in folder.iterdir()] == [".csv"]


def test_batch_messages_carry_the_table_version_of_a_full_table_replace(
    sync: Sync, write: Write, folder: Path
) -> None:
    path = write("a.csv", "id\n1\n")
    run = sync(
        config(folder, {"entity": "t", "path": str(path)}, emit_activate_version_messages=True)
    )
    [activate] = [m for m in run.messages if m["type"] == "ACTIVATE_VERSION"]
    [batch] = [m for m in run.messages if m["type"] == "BATCH"]
    assert batch["version"] == activate["version"]


def test_a_remote_batch_root_stops_the_executable_with_a_config_error(
    run_tap: Callable[..., Any], write: Write, folder: Path
) -> None:
    write("a.csv", "id\n1\n")
    settings = config(folder, {"entity": "t", "path": "a.csv"})
    settings["batch_config"]["storage"]["root"] = "s3://bucket/batches"
    run = run_tap(settings)

    assert run.code == 78
    assert "batch_config.storage.root: 's3://bucket/batches' is not a local folder" in run.stderr
    assert "Traceback" not in run.stderr
