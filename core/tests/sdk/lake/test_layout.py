"""Keys of lake files: safe stream segments, template checks, UTC partition days."""

from __future__ import annotations

import re
from datetime import date

import pytest

from elt.errors import ConfigError
from elt.sdk.lake.layout import Layout, Partition, new_run_id, record_date, safe_segment

DAY = Partition.of(date(2026, 11, 21))


@pytest.mark.parametrize(
    ("name", "segment"),
    [
        ("orders", "orders"),
        ("public-orders_2", "public-orders_2"),
        ("../etc/passwd", "%2E.%2Fetc%2Fpasswd"),
        ("/absolute", "%2Fabsolute"),
        ("back\\slash", "back%5Cslash"),
        ("nul\0", "nul%00"),
        (".hidden", "%2Ehidden"),
        ("..", "%2E."),
        ("_manifests", "%5Fmanifests"),
        ("_hidden_from_spark", "%5Fhidden_from_spark"),
        ("snake_case_", "snake_case_"),
        ("Zürich orders", "Z%C3%BCrich%20orders"),
        ('we"ird:*?<>|', "we%22ird%3A%2A%3F%3C%3E%7C"),
    ],
)
def test_a_stream_name_becomes_one_percent_encoded_segment(name: str, segment: str) -> None:
    assert safe_segment(name) == segment


def test_a_long_stream_name_is_cut_with_a_hash_so_two_never_collide() -> None:
    a, b = safe_segment("x" * 300 + "a"), safe_segment("x" * 300 + "b")
    assert len(a) == len(b) == 200
    assert a != b
    assert safe_segment("x" * 200) == "x" * 200


def test_a_cut_never_splits_a_percent_escape() -> None:
    for length in range(60, 70):
        body = safe_segment("é" * length).rsplit("-", 1)[0]
        assert re.fullmatch(r"(%[0-9A-F]{2})+", body), body


def test_the_default_template_is_hive_style_under_the_prefix() -> None:
    layout = Layout("{stream}/dt={date}/part-{run_id}-{part}.{ext}", "lake/raw")
    key = layout.key("orders", DAY, "R", 3, "jsonl.gz")
    assert key == "lake/raw/orders/dt=2026-11-21/part-R-00003.jsonl.gz"
    assert layout.manifest_key("R") == "lake/raw/_manifests/R.json"


@pytest.mark.parametrize(
    ("template", "complaint"),
    [
        ("{stream}/{part}.{ext}", "{run_id}"),
        ("{stream}/{run_id}.{ext}", "{part}"),
        ("{stream}/{run_id}-{part}-{hour}", "unknown placeholders"),
        ("../{stream}/{run_id}-{part}", "unsafe key"),
        ("/{stream}/{run_id}-{part}", "relative"),
        ("{stream}/{run_id-{part}", "not a valid template"),
    ],
)
def test_a_template_that_could_collide_or_escape_is_a_config_error(
    template: str, complaint: str
) -> None:
    with pytest.raises(ConfigError, match="path_template") as error:
        Layout(template, "")
    assert complaint in str(error.value)


def test_record_dates_are_utc_days() -> None:
    assert record_date("2026-01-01T23:30:00-02:00") == date(2026, 1, 2)
    assert record_date("2026-01-01T23:30:00Z") == date(2026, 1, 1)
    assert record_date("2026-01-01T23:30:00") == date(2026, 1, 1)
    assert record_date("2026-03-04") == date(2026, 3, 4)
    assert record_date(None) is None
    with pytest.raises(ValueError, match="date"):
        record_date(12)


def test_run_ids_sort_by_start_and_differ() -> None:
    first, second = new_run_id(), new_run_id()
    assert first != second
    assert first[:16] <= second[:16]
