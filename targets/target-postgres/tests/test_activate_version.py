"""ACTIVATE_VERSION replaces a table's contents: rows of older versions are retired."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import pytest

Load = Callable[..., Any]

PROPERTIES = {"code": {"type": "string"}, "name": {"type": ["string", "null"]}}


def full_sync(m: Any, version: int, *codes: str) -> list[dict[str, Any]]:
    """A full-table sync as singer-sdk taps send it: version, records, the same version."""
    return [
        m.schema("countries", PROPERTIES, keys=["code"]),
        m.activate("countries", version),
        *[m.record("countries", {"code": c, "name": c.lower()}, version=version) for c in codes],
        m.activate("countries", version),
    ]


def test_soft_delete_marks_rows_missing_from_the_new_version(load: Load, db: Any, m: Any) -> None:
    load(full_sync(m, 1, "AF", "EU", "NA"))
    load(full_sync(m, 2, "EU", "NA", "SA"))

    assert db.rows(
        "SELECT code, _sdc_table_version, _sdc_deleted_at IS NOT NULL FROM countries ORDER BY code"
    ) == [("AF", 1, True), ("EU", 2, False), ("NA", 2, False), ("SA", 2, False)]


def test_hard_delete_removes_rows_missing_from_the_new_version(load: Load, db: Any, m: Any) -> None:
    load(full_sync(m, 1, "AF", "EU"), hard_delete=True)
    load(full_sync(m, 2, "EU", "SA"), hard_delete=True)

    assert db.rows("SELECT code FROM countries ORDER BY code") == [("EU",), ("SA",)]


def test_a_row_back_in_a_later_version_is_live_again(load: Load, db: Any, m: Any) -> None:
    load(full_sync(m, 1, "AF"))
    load(full_sync(m, 2, "EU"))
    load(full_sync(m, 3, "AF", "EU"))

    assert db.rows("SELECT code, _sdc_deleted_at IS NULL FROM countries ORDER BY code") == [
        ("AF", True),
        ("EU", True),
    ]


def test_version_columns_are_added_to_an_existing_table(load: Load, db: Any, m: Any) -> None:
    load([m.schema("countries", PROPERTIES, keys=["code"]), m.record("countries", {"code": "AF"})])
    load(full_sync(m, 5, "EU"), hard_delete=True)

    assert db.rows("SELECT code, _sdc_table_version FROM countries") == [("EU", 5)]


def test_versioned_records_after_plain_ones_upgrade_the_stream(load: Load, db: Any, m: Any) -> None:
    load([
        m.schema("countries", PROPERTIES, keys=["code"]),
        m.record("countries", {"code": "AF"}),
        m.record("countries", {"code": "EU"}, version=9),
    ])  # fmt: skip

    assert db.rows("SELECT code, _sdc_table_version FROM countries ORDER BY code") == [
        ("AF", None),
        ("EU", 9),
    ]


@pytest.mark.parametrize("setting", ["activate_version", "process_activate_version_messages"])
def test_activate_version_can_be_turned_off(load: Load, db: Any, m: Any, setting: str) -> None:
    load(full_sync(m, 1, "AF"), **{setting: False})
    load(full_sync(m, 2, "EU"), **{setting: False})

    assert db.rows("SELECT code FROM countries ORDER BY code") == [("AF",), ("EU",)]
    assert "_sdc_table_version" not in db.columns("public", "countries")


def test_an_activate_version_before_its_schema_is_applied_when_the_schema_arrives(
    load: Load, db: Any, m: Any
) -> None:
    load(full_sync(m, 1, "AF", "EU"))
    load([
        m.activate("countries", 2),  # some taps send it first
        m.schema("countries", PROPERTIES, keys=["code"]),
        *[m.record("countries", {"code": c}, version=2) for c in ("EU", "SA")],
    ])  # fmt: skip

    assert db.rows("SELECT code, _sdc_deleted_at IS NULL FROM countries ORDER BY code") == [
        ("AF", False),
        ("EU", True),
        ("SA", True),
    ]


def test_an_activate_version_before_its_schema_without_a_table_is_ignored_with_one_warning(
    load: Load, db: Any, m: Any, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        load([m.activate("countries", 3), m.activate("countries", 3), *full_sync(m, 3, "AF")])

    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1
    assert "arrived before the stream's SCHEMA" in warnings[0]
    assert "ignored" in warnings[0]
    assert db.rows("SELECT code, _sdc_table_version, _sdc_deleted_at FROM countries") == [
        ("AF", 3, None)
    ]


def test_an_activate_version_whose_schema_never_comes_is_reported_and_changes_nothing(
    load: Load, db: Any, m: Any, caplog: pytest.LogCaptureFixture
) -> None:
    load(full_sync(m, 1, "AF"))
    with caplog.at_level(logging.WARNING):
        load([m.activate("countries", 2)])

    assert "was not applied" in caplog.text
    assert db.rows("SELECT code, _sdc_deleted_at FROM countries") == [("AF", None)]


def test_an_undeclared_sdc_deleted_at_is_not_loaded_into_a_versioned_table(
    load: Load, db: Any, m: Any
) -> None:
    load(full_sync(m, 1, "AF"))  # the table now has the version columns
    load([
        m.schema("countries", PROPERTIES, keys=["code"]),
        m.record("countries", {"code": "EU", "_sdc_deleted_at": "not a date"}),
        m.record("countries", {"code": "NA", "_sdc_deleted_at": "2026-01-01T00:00:00Z"}),
    ])  # fmt: skip

    assert db.rows("SELECT code, _sdc_deleted_at FROM countries ORDER BY code") == [
        ("AF", None),
        ("EU", None),
        ("NA", None),
    ]
