from __future__ import annotations

import json
from pathlib import Path

import pytest
from tap_csv.settings import Dialect, load_entities

from elt.errors import ConfigError


def test_meltanolabs_entries_load_with_their_dialect_options() -> None:
    [entity] = load_entities(
        {
            "files": [
                {
                    "entity": "leads",
                    "path": "/data/leads.csv",
                    "keys": ["Id"],
                    "encoding": "latin1",
                    "delimiter": ";",
                    "quotechar": "'",
                    "skipinitialspace": True,
                }
            ]
        }
    )
    assert entity.entity == "leads"
    assert entity.keys == ("Id",)
    assert entity.encoding == "latin1"
    assert entity.dialect == Dialect(delimiter=";", quotechar="'", skipinitialspace=True)
    assert entity.has_header
    assert entity.null_values == ("",)
    assert entity.infer_sample_rows == 1000


def test_top_level_settings_are_defaults_an_entry_overrides() -> None:
    config = {
        "delimiter": "\t",
        "null_values": ["", "NULL"],
        "files": [
            {"entity": "a", "path": "a.tsv"},
            {"entity": "b", "path": "b.csv", "delimiter": ","},
        ],
    }
    a, b = load_entities(config)
    assert a.dialect.delimiter == "\t"
    assert b.dialect.delimiter == ","
    assert a.null_values == b.null_values == ("", "NULL")


def test_csv_files_definition_is_read_like_files(tmp_path: Path) -> None:
    definition = tmp_path / "files_def.json"
    definition.write_text(json.dumps([{"entity": "x", "path": "x.csv", "keys": ["id"]}]))
    [entity] = load_entities({"csv_files_definition": str(definition)})
    assert (entity.entity, entity.where) == ("x", f"{definition}[0]")


def test_fieldnames_mean_no_header_unless_said_otherwise() -> None:
    no_header, replaced = load_entities(
        {
            "files": [
                {"entity": "a", "path": "a.csv", "fieldnames": ["x", "y"]},
                {"entity": "b", "path": "b.csv", "fieldnames": ["x"], "has_header": True},
            ]
        }
    )
    assert (no_header.fieldnames, no_header.has_header) == (("x", "y"), False)
    assert (replaced.fieldnames, replaced.has_header) == (("x",), True)


@pytest.mark.parametrize(
    ("config", "where", "message"),
    [
        ({}, None, "no CSV files are configured"),
        ({"files": []}, None, "no CSV files are configured"),
        ({"files": [{"path": "a.csv"}]}, "files[0]", "missing `entity`"),
        ({"files": [{"entity": "a"}]}, "files[0]", "missing `path`"),
        (
            {"files": [{"entity": "a", "path": "a", "delimeter": ";"}]},
            "files[0]",
            "unknown setting 'delimeter'",
        ),
        (
            {"files": [{"entity": "a", "path": "a", "delimiter": ";;"}]},
            "files[0].delimiter",
            "exactly one character",
        ),
        (
            {"files": [{"entity": "a", "path": "a", "encoding": "klingon"}]},
            "files[0].encoding",
            "unknown encoding",
        ),
        (
            {"files": [{"entity": "a", "path": "a", "keys": "id"}]},
            "files[0].keys",
            "a list of strings",
        ),
        (
            {"files": [{"entity": "a", "path": "a", "keys": ["id", "id"]}]},
            "files[0].keys",
            "listed twice",
        ),
        (
            {"files": [{"entity": "a", "path": "a", "has_header": False}]},
            "files[0]",
            "no fieldnames",
        ),
        (
            {"files": [{"entity": "a", "path": "a", "infer_sample_rows": 0}]},
            "files[0].infer_sample_rows",
            "positive integer",
        ),
        (
            {"files": [{"entity": "a", "path": "a", "schema": {"id": "integer"}}]},
            "files[0].schema",
            "JSON Schema properties",
        ),
        ({"files": "a.csv"}, "files", "a list of file entries"),
        ({"csv_files_definition": "/nonexistent/defs.json"}, "csv_files_definition", "cannot read"),
    ],
)
def test_bad_settings_name_the_entry_and_what_was_expected(
    config: dict[str, object], where: str | None, message: str
) -> None:
    with pytest.raises(ConfigError) as error:
        load_entities(config)
    assert error.value.where == where
    assert message in error.value.message


def test_duplicate_entities_name_both_entries() -> None:
    with pytest.raises(ConfigError) as error:
        load_entities({"files": [{"entity": "a", "path": "x"}, {"entity": "a", "path": "y"}]})
    assert error.value.where == "files[1].entity"
    assert "already defined by files[0]" in error.value.message


def test_meltanolabs_example_key_file_is_refused_saying_what_to_use() -> None:
    # MeltanoLabs' meltano.yml: {entity: alphabet, file: alphabet.csv, path: ./tap_csv/tests/data/}
    entry = {"entity": "alphabet", "file": "alphabet.csv", "path": "data/", "keys": ["col1"]}

    with pytest.raises(ConfigError) as raised:
        load_entities({"files": [entry]})

    message = str(raised.value)
    assert message.startswith("files[0].file: setting 'file' is not supported")
    assert "it reads every .csv file under `path`" in message
    assert 'For that one file: "path": "data/alphabet.csv"' in message
