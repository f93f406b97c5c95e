from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from tap_csv.columns import Kind, Nulls
from tap_csv.inference import discover, infer_kind, kind_of, property_of
from tap_csv.settings import load_entities

from elt.errors import ConfigError, ProtocolError

DEFAULT = Nulls([""])


@pytest.mark.parametrize(
    ("texts", "kind"),
    [
        (["1", "-2", ""], Kind.INTEGER),
        (["1", "2.5"], Kind.NUMBER),
        (["true", "False"], Kind.BOOLEAN),
        (["2026-01-01", ""], Kind.DATE),
        (["2026-01-01T00:00:00Z", "2026-01-02 10:00"], Kind.DATE_TIME),
        (["2026-01-01", "2026-01-02T10:00:00"], Kind.STRING),
        (["007", "008"], Kind.STRING),
        (["0", "1"], Kind.INTEGER),
        (["", ""], Kind.STRING),
        ([], Kind.STRING),
    ],
)
def test_a_column_gets_the_narrowest_kind_all_sampled_values_fit(
    texts: list[str], kind: Kind
) -> None:
    assert infer_kind(texts, DEFAULT) is kind


@pytest.mark.parametrize("kind", list(Kind))
def test_kind_and_json_schema_property_convert_both_ways(kind: Kind) -> None:
    assert kind_of(property_of(kind), where="w") == (kind, True)
    assert kind_of(property_of(kind, nullable=False), where="w") == (kind, False)


@pytest.mark.parametrize(
    "prop", [{"type": "object"}, {"type": ["integer", "string"]}, {}, {"type": 5}]
)
def test_types_a_csv_column_cannot_hold_are_config_errors(prop: dict[str, object]) -> None:
    with pytest.raises(ConfigError):
        kind_of(prop, where="files[0].schema.x")


def test_discovery_unions_headers_and_samples_across_files(
    tmp_path: Path, write: Callable[..., Path]
) -> None:
    write("d/1.csv", "id,when\n1,2026-01-01\n")
    write("d/2.csv", "id,amount\n2,1.5\n")
    [entity] = load_entities({"files": [{"entity": "e", "path": str(tmp_path / "d")}]})
    table = discover(entity, metadata_columns=True)
    assert [(c.name, c.kind) for c in table.columns] == [
        ("_sdc_source_file", Kind.STRING),
        ("_sdc_source_file_mtime", Kind.DATE_TIME),
        ("_sdc_source_lineno", Kind.INTEGER),
        ("id", Kind.INTEGER),
        ("when", Kind.DATE),
        ("amount", Kind.NUMBER),
    ]


def test_declared_types_are_kept_and_not_inferred(
    tmp_path: Path, write: Callable[..., Path]
) -> None:
    write("a.csv", "zip,n\n00501,1\n")
    config = {
        "files": [
            {
                "entity": "e",
                "path": str(tmp_path / "a.csv"),
                "schema": {"n": {"type": "string", "maxLength": 3}},
            }
        ]
    }
    [entity] = load_entities(config)
    schema = discover(entity, metadata_columns=False).schema()
    assert schema["properties"] == {
        "zip": {"type": ["string", "null"]},
        "n": {"type": "string", "maxLength": 3},
    }


@pytest.mark.parametrize(
    ("entry", "where", "message"),
    [
        ({"keys": ["nope"]}, "files[0].keys", "key column 'nope'"),
        ({"replication_key": "nope"}, "files[0].replication_key", "replication key 'nope'"),
        ({"schema": {"nope": {"type": "integer"}}}, "files[0].schema", "declares column 'nope'"),
    ],
)
def test_settings_naming_unknown_columns_are_errors(
    entry: dict[str, object], where: str, message: str, tmp_path: Path, write: Callable[..., Path]
) -> None:
    write("a.csv", "id\n1\n")
    [entity] = load_entities({"files": [{"entity": "e", "path": str(tmp_path / "a.csv"), **entry}]})
    with pytest.raises(ConfigError) as error:
        discover(entity, metadata_columns=False)
    assert (error.value.where, message in error.value.message) == (where, True)


@pytest.mark.parametrize(
    ("header", "message"),
    [("id,,x", "column 2 of the header has no name"), ("id,x,id", "'id' appears twice")],
)
def test_headers_without_names_or_with_duplicates_are_errors(
    header: str, message: str, tmp_path: Path, write: Callable[..., Path]
) -> None:
    path = write("a.csv", f"{header}\n1,2,3\n")
    [entity] = load_entities({"files": [{"entity": "e", "path": str(path)}]})
    with pytest.raises(ProtocolError) as error:
        discover(entity, metadata_columns=False)
    assert error.value.where == f"{path} line 1"
    assert message in error.value.message


def test_metadata_columns_may_not_clash_with_file_columns(
    tmp_path: Path, write: Callable[..., Path]
) -> None:
    path = write("a.csv", "_sdc_source_file,id\nx,1\n")
    [entity] = load_entities({"files": [{"entity": "e", "path": str(path)}]})
    assert [c.name for c in discover(entity, metadata_columns=False).columns] == [
        "_sdc_source_file",
        "id",
    ]
    with pytest.raises(ConfigError) as error:
        discover(entity, metadata_columns=True)
    assert error.value.where == "add_metadata_columns"
