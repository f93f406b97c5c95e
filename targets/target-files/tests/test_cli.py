"""target-files as a scheduler runs it: exit codes, one-paragraph errors, the bookmark."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from target_files import LocalStore, TargetFiles

from elt.protocol import parse_metric
from elt.sdk.lake import LAKE_SETTINGS
from tests.fixtures.lake import data_keys, manifests, read_records

TARGET = Path(sys.executable).with_name("target-files")
PROPS = {"id": {"type": "integer"}, "name": {"type": ["string", "null"]}}


def schema(stream: str = "orders") -> dict[str, Any]:
    return {"type": "SCHEMA", "stream": stream, "schema": {"type": "object", "properties": PROPS},
            "key_properties": ["id"]}  # fmt: skip


def record(i: Any, stream: str = "orders") -> dict[str, Any]:
    return {"type": "RECORD", "stream": stream, "record": {"id": i, "name": f"n{i}"}}


def state(i: int) -> dict[str, Any]:
    return {"type": "STATE", "value": {"bookmarks": {"orders": {"id": i}}}}


def hidden_or_visible(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob("*") if p.is_file())


def test_a_bad_record_mid_stream_exits_65_naming_line_and_field_and_commits_nothing_more(
    cli: Callable[..., Any], folder: Path
) -> None:
    messages = [schema()]
    for i in range(1, 7):
        messages += [record(i), state(i)]
    messages += [record("seven"), state(7), record(8)]
    done = cli(messages, format="parquet", max_rows=4)
    assert done.code == 65, done.stderr
    assert "line 14" in done.stderr
    assert "'id'" in done.stderr
    assert "'seven'" in done.stderr
    assert "Traceback" not in done.stderr
    store = LocalStore(folder)
    (committed,) = data_keys(store)  # part 0: records 1-4
    assert committed.endswith("-00000.parquet")
    (manifest,) = manifests(store)  # partial: exactly what the emitted STATE covers
    assert manifest["status"] == "partial"
    assert [f["key"] for f in manifest["files"]] == [committed]
    # the last STATE emitted covers exactly part 0; records 5 and 6 were aborted with part 1
    assert done.states[-1] == {"bookmarks": {"orders": {"id": 4}}}
    assert all(not name.startswith(".") for name in hidden_or_visible(folder))


def test_a_malformed_line_exits_65_and_leaves_no_partial_file(
    cli: Callable[..., Any], folder: Path
) -> None:
    from tests.fixtures.lake import lines

    done = cli(lines([schema(), record(1), state(1)]) + b'{"type": "REC\n')
    assert done.code == 65
    assert "line 4" in done.stderr
    assert done.states == []
    assert hidden_or_visible(folder) == []


def test_a_record_before_its_schema_exits_65(cli: Callable[..., Any]) -> None:
    done = cli([record(1)])
    assert done.code == 65
    assert "before its SCHEMA" in done.stderr


def test_a_csv_batch_exits_65_saying_which_targets_take_elt_s_csv_files(
    cli: Callable[..., Any], tmp_path: Path
) -> None:
    batch = {"type": "BATCH", "stream": "orders", "manifest": [(tmp_path / "a.csv").as_uri()],
             "encoding": {"format": "csv", "compression": "none"}}  # fmt: skip
    done = cli([schema(), batch])
    assert done.code == 65, done.stderr
    assert "the BATCH has format 'csv'" in done.stderr
    assert "elt-csv-batch" in done.stderr


def test_a_missing_path_setting_exits_78(tmp_path: Path) -> None:
    config = tmp_path / "c.json"
    config.write_text(json.dumps({"format": "jsonl"}))
    done = subprocess.run(
        [str(TARGET), "--config", str(config)], input=b"", capture_output=True, check=False
    )
    assert done.returncode == 78
    assert b"path" in done.stderr


def test_a_wrong_codec_for_the_format_exits_78(cli: Callable[..., Any]) -> None:
    done = cli([schema()], format="jsonl", compression="snappy")
    assert done.code == 78
    assert "compression" in done.stderr


def test_a_path_through_a_file_exits_78_as_no_retry_can_fix_it(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    config = tmp_path / "c.json"
    config.write_text(json.dumps({"path": str(tmp_path / "file" / "lake")}))
    done = subprocess.run([str(TARGET), "--config", str(config)], input=json.dumps(schema()).encode() + b"\n",
                          capture_output=True, check=False)  # fmt: skip
    assert done.returncode == 78
    assert b"could not write to" in done.stderr
    assert b"Traceback" not in done.stderr


def test_a_good_run_prints_the_last_state_after_writing_the_manifest(
    cli: Callable[..., Any], folder: Path
) -> None:
    done = cli([schema(), record(1), state(1), record(2), state(2)])
    assert done.code == 0, done.stderr
    assert done.states == [{"bookmarks": {"orders": {"id": 2}}}]
    assert manifests(LocalStore(folder))[0]["streams"]["orders"]["rows"] == 2


def test_about_lists_every_setting_with_a_description() -> None:
    done = subprocess.run(
        [str(TARGET), "--about", "--format", "json"], capture_output=True, check=True
    )
    about = json.loads(done.stdout)
    properties = about["settings"]["properties"]
    assert {"path", "format", "compression", "path_template", "max_rows", "max_bytes",
            "buffer_size", "date_field", "parquet_number", "nested"} <= set(properties)  # fmt: skip
    assert all(spec.get("description") for spec in properties.values())
    assert about["settings"]["required"] == ["path"]


def test_a_path_traversal_stream_name_stays_inside_the_folder(
    cli: Callable[..., Any], folder: Path, tmp_path: Path
) -> None:
    name = "../../escaped"
    done = cli([schema(name), record(1, name)], prefix="raw")
    assert done.code == 0, done.stderr
    inside = [p for p in tmp_path.rglob("*") if p.is_file() and "config" not in p.name]
    assert inside
    assert all(folder in p.parents for p in inside)
    assert not (tmp_path / "escaped").exists()
    (key,) = data_keys(LocalStore(folder))
    assert key.startswith("raw/%2E.%2F..%2Fescaped/dt=")  # one segment: no "/" left


def test_only_the_path_setting_loads_with_every_documented_default(tmp_path: Path) -> None:
    """The README's own example: inline JSON config, files at the folder's root, gzip JSONL
    in Hive dt= partitions, and a complete manifest."""
    from tests.fixtures.lake import lines

    messages = [schema(), record(1), record(2), state(2)]
    done = subprocess.run(
        [str(TARGET), "--config", '{"path": "lake"}'],
        input=lines(messages),
        capture_output=True,
        cwd=tmp_path,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert [json.loads(x) for x in done.stdout.splitlines()] == [state(2)["value"]]
    store = LocalStore(tmp_path / "lake")
    (manifest,) = manifests(store)
    run_id = manifest["run_id"]
    (key,) = data_keys(store)
    assert re.fullmatch(rf"orders/dt=\d{{4}}-\d{{2}}-\d{{2}}/part-{run_id}-00000\.jsonl\.gz", key)
    assert read_records(store, key) == [m["record"] for m in messages[1:3]]
    assert manifest["status"] == "complete"
    assert manifest["settings"]["prefix"] == ""


def test_the_readme_documents_every_setting_and_its_default() -> None:
    """Every lake setting (shared by the four lake targets) and `path`, with the default
    the code applies."""
    from tests.fixtures.laketargets import readme_mismatches

    readme = Path(__file__).parents[1] / "README.md"
    names = [*TargetFiles.store_settings, *LAKE_SETTINGS]
    assert readme_mismatches(readme, TargetFiles.config_jsonschema, names) == []


def test_the_committed_rows_it_logs_add_up_to_the_records_it_wrote(
    cli: Callable[..., Any], folder: Path
) -> None:
    """What `elt run` reports as the run's rows (METRIC record_count tagged committed)."""
    messages = [schema()] + [record(i) for i in range(1, 12)] + [state(11)]
    done = cli(messages, max_rows=4)
    assert done.code == 0, done.stderr
    points = [parse_metric(line) for line in done.stderr.splitlines() if "committed" in line]
    assert [(p.stream, p.value) for p in points if p] == [
        ("orders", 4),
        ("orders", 4),
        ("orders", 3),
    ]
    store = LocalStore(folder)
    assert sum(len(read_records(store, key)) for key in data_keys(store)) == 11


def the_error(stderr: str) -> str:
    """The one paragraph target-files logged as its error."""
    (line,) = [line for line in stderr.splitlines() if "| ERROR " in line]
    return line.split(" | ", 3)[3]


def stream_x(properties: dict[str, Any] | None = None) -> dict[str, Any]:
    props = properties or {"id": {"type": "integer"}, "n": {"type": ["integer", "null"]}}
    return {"type": "SCHEMA", "stream": "x", "schema": {"properties": props},
            "key_properties": ["id"]}  # fmt: skip


def rec(record: dict[str, Any], stream: str = "x") -> dict[str, Any]:
    return {"type": "RECORD", "stream": stream, "record": record}


FILLER = [rec({"id": i, "n": i}, "orders") for i in range(50)]  # lines after the bad one

BAD_INPUTS = {
    # name: (messages, settings, line, property)
    "missing key, raw jsonl": ([stream_x(), rec({"id": 1}), rec({"n": 2})], {}, 3, None),
    "missing key, parsed": (
        [stream_x(), rec({"id": 1}), rec({"n": 2})], {"date_field": "d"}, 3, None,
    ),
    "missing key, raw parquet, found later": (
        [schema(), stream_x(), rec({"id": 1}), rec({"n": 2}), *FILLER],
        {"format": "parquet"}, 4, None,
    ),
    "missing key, csv": ([stream_x(), rec({"n": 2})], {"format": "csv"}, 2, None),
    "record before schema": ([schema(), rec({"id": 1}, "orders"), rec({"id": 1})], {}, 3, None),
    "wrong type, parquet": (
        [schema(), stream_x(), rec({"id": 1, "n": "five"}), *FILLER],
        {"format": "parquet"}, 3, "n",
    ),
    "undeclared property, csv": (
        [stream_x(), rec({"id": 1, "zz": 1})], {"format": "csv"}, 2, "zz",
    ),
    "bad date_field": (
        [stream_x({"id": {"type": "integer"}, "d": {"type": "string"}}), rec({"id": 1, "d": "soon"})],
        {"date_field": "d"}, 2, "d",
    ),
    "schema without properties": (
        [{"type": "SCHEMA", "stream": "x", "schema": {}, "key_properties": []}], {}, 1, None,
    ),
    "batch of another format": (
        [stream_x(), {"type": "BATCH", "stream": "x", "encoding": {"format": "parquet"},
                      "manifest": []}],
        {}, 2, None,
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", BAD_INPUTS)
def test_a_bad_input_error_names_its_line_stream_and_property_exactly_once(
    cli: Callable[..., Any], case: str
) -> None:
    messages, settings, line, prop = BAD_INPUTS[case]
    done = cli(messages, **settings)
    assert done.code == 65, done.stderr
    error = the_error(done.stderr)
    assert error.startswith(f"<stdin> line {line}, stream 'x'"), error
    assert error.count(" line ") == 1, error
    assert error.count("'x'") == 1, error
    if prop is not None:
        assert error.count(f"property {prop!r}") == 1, error
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "parquet"])
def test_the_closing_summary_counts_every_record(cli: Callable[..., Any], fmt: str) -> None:
    messages = [schema(), *(record(i) for i in range(1, 8)), state(7)]
    done = cli(messages, format=fmt)
    assert done.code == 0, done.stderr
    assert "completed processing 9 lines of input (1 schemas, 7 records," in done.stderr


@pytest.mark.parametrize(
    ("setting", "says"),
    [
        ("validate_records", "not validated"),
        ("batch_size_rows", "use max_rows"),
        ("load_method", "only append"),
        ("add_record_metadata", "no _sdc_ columns"),
        ("fromat", "did you mean 'format'"),
    ],
)
def test_a_setting_the_lake_does_not_implement_is_refused_saying_what_to_use(
    cli: Callable[..., Any], setting: str, says: str
) -> None:
    done = cli([schema(), record(1)], **{setting: True})
    assert done.code == 78
    assert says in the_error(done.stderr)
    assert "Traceback" not in done.stderr


def test_a_setting_that_cannot_change_the_data_is_accepted_with_one_warning(
    cli: Callable[..., Any],
) -> None:
    done = cli([schema(), record(1), state(1)], process_activate_version_messages=False)
    assert done.code == 0, done.stderr
    warnings = [line for line in done.stderr.splitlines() if "| WARNING " in line]
    assert len(warnings) == 1
    assert "process_activate_version_messages" in warnings[0]


@pytest.mark.parametrize("link", ["orders", "_manifests"])
def test_a_symlinked_folder_inside_path_exits_78_and_writes_nothing_outside(
    cli: Callable[..., Any], folder: Path, tmp_path: Path, link: str
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    folder.mkdir()
    (folder / link).symlink_to(outside, target_is_directory=True)
    done = cli([schema(), record(1), state(1)])
    assert done.code == 78, done.stderr
    assert "symbolic link" in the_error(done.stderr)
    assert done.states == []
    assert list(outside.rglob("*")) == []
