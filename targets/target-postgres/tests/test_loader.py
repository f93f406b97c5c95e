"""How batches reach their tables: upserts, the DIRECT→STAGED fallback, load methods,
interleaved streams, commits and when STATE is written."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from elt.errors import ProtocolError

Load = Callable[..., Any]

ITEMS = {"id": {"type": "integer"}, "name": {"type": ["string", "null"]}}


def items(m: Any, *rows: tuple[int, str | None]) -> list[dict[str, Any]]:
    return [m.record("items", {"id": i, "name": name}) for i, name in rows]


def test_upsert_updates_existing_keys_and_inserts_new_ones(load: Load, db: Any, m: Any) -> None:
    load([m.schema("items", ITEMS), *items(m, (1, "a"), (2, "b"))])
    load([m.schema("items", ITEMS), *items(m, (2, "B"), (3, "c"))])

    assert db.rows("SELECT id, name FROM items ORDER BY id") == [(1, "a"), (2, "B"), (3, "c")]


def test_upsert_keeps_the_last_record_of_a_key_within_a_batch(load: Load, db: Any, m: Any) -> None:
    load([m.schema("items", ITEMS), *items(m, (1, "a"), (2, "b"), (1, "c"), (1, "d"), (2, None))])

    assert db.rows("SELECT id, name FROM items ORDER BY id") == [(1, "d"), (2, None)]


def test_upsert_across_batches_and_chunks_keeps_the_last_record(
    load: Load, db: Any, m: Any
) -> None:
    rows = [(n % 50, f"v{n}") for n in range(1_000)]
    load([m.schema("items", ITEMS), *items(m, *rows)], batch_size_rows=300)

    expected = dict(rows)
    assert dict(db.rows("SELECT id, name FROM items")) == expected


def test_upsert_through_a_table_without_primary_key_merges_on_the_keys(
    load: Load, db: Any, m: Any
) -> None:
    db.execute("CREATE TABLE items (id bigint, name text)")
    db.execute("INSERT INTO items VALUES (1, 'old'), (2, 'kept')")
    load([m.schema("items", ITEMS), *items(m, (1, "new"), (3, "added"), (3, "added again"))])

    assert db.rows("SELECT id, name FROM items ORDER BY id") == [
        (1, "new"),
        (2, "kept"),
        (3, "added again"),
    ]


def test_append_only_keeps_every_record(load: Load, db: Any, m: Any) -> None:
    messages = [m.schema("items", ITEMS), *items(m, (1, "a"), (1, "b"))]
    load(messages, load_method="append-only")
    load(messages, load_method="append-only")

    assert db.rows("SELECT count(*), count(DISTINCT name) FROM items") == [(4, 2)]
    assert db.rows("SELECT count(*) FROM pg_index WHERE indrelid = 'items'::regclass") == [(0,)]


def test_overwrite_replaces_the_table_contents_once_per_run(load: Load, db: Any, m: Any) -> None:
    load([m.schema("items", ITEMS), *items(m, (1, "a"), (2, "b"))])
    load(
        [m.schema("items", ITEMS), *items(m, (3, "c"), (4, "d"))],
        load_method="overwrite",
        batch_size_rows=1,
    )

    assert db.rows("SELECT id, name FROM items ORDER BY id") == [(3, "c"), (4, "d")]


def test_interleaved_streams_each_reach_their_table(load: Load, db: Any, m: Any) -> None:
    messages = [m.schema("a", ITEMS), m.schema("b", ITEMS)]
    for n in range(12_000):
        messages.append(m.record("a" if n % 3 else "b", {"id": n, "name": str(n)}))
    load(messages)

    assert db.rows("SELECT count(*), sum(id) FROM a") == [
        (8_000, sum(n for n in range(12_000) if n % 3))
    ]
    assert db.rows("SELECT count(*), sum(id) FROM b") == [(4_000, sum(range(0, 12_000, 3)))]


def test_state_is_written_only_after_the_records_before_it_are_committed(
    load: Load, db: Any, m: Any
) -> None:
    messages = [m.schema("items", ITEMS)]
    for n in range(1, 8):
        messages += [*items(m, (n, str(n))), m.state({"at": n})]
    loaded = load(messages, batch_size_rows=3)

    # each STATE written covers every row it follows; the last covers everything
    assert loaded.states[-1] == {"at": 7}
    assert [s["at"] for s in loaded.states] == sorted({s["at"] for s in loaded.states})
    assert db.rows("SELECT count(*) FROM items") == [(7,)]


def test_state_before_any_record_is_written_at_once(load: Load, m: Any) -> None:
    loaded = load([m.state({"start": True}), m.schema("items", ITEMS), m.state({"start": False})])

    assert loaded.states == [{"start": True}, {"start": False}]


def test_repeated_state_is_written_once(load: Load, m: Any) -> None:
    messages = [m.schema("items", ITEMS), *items(m, (1, "a")), m.state({"n": 1}), m.state({"n": 1})]

    assert load(messages).states == [{"n": 1}]


def test_integral_floats_load_into_integer_columns(load: Load, db: Any, m: Any) -> None:
    load([m.schema("items", ITEMS), m.record("items", {"id": 7.0, "name": "seven"})])

    assert db.rows("SELECT id FROM items") == [(7,)]


def test_numbers_keep_every_digit(load: Load, db: Any, m: Any) -> None:
    big = b'{"type":"RECORD","stream":"n","record":{"id":1,"x":12345678901234567890.123456789,"i":123456789012345678901234567890}}\n'
    load(
        m.lines(
            [
                m.schema(
                    "n",
                    {"id": {"type": "integer"}, "x": {"type": "number"}, "i": {"type": "number"}},
                )
            ]
        )
        + big
    )

    assert db.rows("SELECT x, i FROM n") == [
        (Decimal("12345678901234567890.123456789"), Decimal("123456789012345678901234567890"))
    ]


def test_numbers_below_a_doubles_range_are_stored_exactly(load: Load, db: Any) -> None:
    lines = (
        b'{"type":"SCHEMA","stream":"n","schema":{"properties":{"id":{"type":"integer"},'
        b'"x":{"type":"number"},"j":{}}},"key_properties":["id"]}\n'
        b'{"type":"RECORD","stream":"n","record":{"id":1,"x":1e-400,"j":[4.9E-324]}}\n'
    )
    load(lines)

    assert db.rows("SELECT x, (j->>0)::numeric FROM n") == [
        (Decimal("1E-400"), Decimal("4.9E-324"))  # not 0.0 and 5e-324, as doubles would hold
    ]


def test_tricky_text_round_trips_exactly(load: Load, db: Any, m: Any) -> None:
    texts = [
        "",
        "null",
        "NULL",
        "\\N",
        '"',
        '""',
        "\\",
        '\\"',
        "a,b",
        "line\nbreak",
        "cr\r\nlf",
        "tab\there",
        "\x01\x1f control",
        "ünïcödé 東京 🚀",
        "ends with backslash \\",
        "[1,2]",
        '{"a": 1}',
        ",[nested-looking",
        "\\n literal backslash n",
    ]
    load(
        [
            m.schema("t", {"id": {"type": "integer"}, "s": {"type": "string"}}),
            *[m.record("t", {"id": i, "s": s}) for i, s in enumerate(texts)],
        ]
    )

    assert [s for _, s in db.rows("SELECT id, s FROM t ORDER BY id")] == texts


def test_json_columns_hold_any_json_value(load: Load, db: Any, m: Any) -> None:
    values = [{"a": [1, {"b": None}]}, [1, "two"], "text", 3, True, {"q": 'say "hi"\n'}, {}, []]
    load(
        [
            m.schema("j", {"id": {"type": "integer"}, "v": {}}),
            *[m.record("j", {"id": i, "v": v}) for i, v in enumerate(values)],
        ]
    )

    assert [v for _, v in db.rows("SELECT id, v FROM j ORDER BY id")] == values


def test_a_nested_column_holds_the_json_of_the_value_even_when_it_is_a_string(
    load: Load, db: Any, m: Any
) -> None:
    """CDC taps send json columns as strings: the string "[]" is stored as the JSON string
    "[]", never as an array, so the two stay apart (the rule of every elt target)."""
    nested = {"type": ["object", "array", "null"]}
    values = ["[]", [], '{"a": 1}', {"a": 1}, 5, "5", None]
    load([
        m.schema("j", {"id": {"type": "integer"}, "v": nested}),
        *[m.record("j", {"id": i, "v": v}) for i, v in enumerate(values)],
    ])  # fmt: skip

    assert db.rows("SELECT v::text, jsonb_typeof(v) FROM j ORDER BY id") == [
        ('"[]"', "string"),
        ("[]", "array"),
        ('"{\\"a\\": 1}"', "string"),
        ('{"a": 1}', "object"),
        ("5", "number"),
        ('"5"', "string"),
        (None, None),
    ]


def test_objects_in_a_string_column_are_stored_as_json_text(load: Load, db: Any, m: Any) -> None:
    load(
        [
            m.schema("t", {"id": {"type": "integer"}, "s": {"type": "string"}}),
            m.record("t", {"id": 1, "s": {"a": [1, 2]}}),
            m.record("t", {"id": 2, "s": [3]}),
        ]
    )

    assert db.rows("SELECT id, s::jsonb FROM t ORDER BY id") == [(1, {"a": [1, 2]}), (2, [3])]


def test_record_metadata_columns_are_filled(load: Load, db: Any, m: Any) -> None:
    load(
        [
            m.schema("items", ITEMS),
            m.record(
                "items", {"id": 1, "name": "a"}, time_extracted="2026-01-02T03:04:05Z", version=7
            ),
            m.record("items", {"id": 2, "name": "b", "_sdc_deleted_at": "2026-01-03T00:00:00Z"}),
        ],
        add_record_metadata=True,
    )

    rows = db.rows(
        "SELECT id, _sdc_extracted_at IS NOT NULL, _sdc_received_at IS NOT NULL, "
        "_sdc_batched_at IS NOT NULL, _sdc_deleted_at IS NOT NULL, _sdc_table_version, "
        "_sdc_sequence, _sdc_sync_started_at FROM items ORDER BY id"
    )
    assert [r[:6] for r in rows] == [
        (1, True, True, True, False, 7),
        (2, False, True, True, True, None),
    ]
    assert rows[0][6] < rows[1][6]
    assert rows[0][7] == rows[1][7]


def test_nul_in_text_is_removed_when_sanitizing(load: Load, db: Any, m: Any) -> None:
    load(
        [
            m.schema("t", {"id": {"type": "integer"}, "s": {"type": "string"}}),
            m.record("t", {"id": 1, "s": "a\x00b"}),
        ],
        sanitize_null_text_characters=True,
    )

    assert db.rows("SELECT s FROM t") == [("ab",)]


def test_key_properties_absent_from_the_schema_are_an_error(load: Load, m: Any) -> None:
    with pytest.raises(ProtocolError, match="key property is not one of") as raised:
        load([m.schema("items", ITEMS, keys=["missing"])])
    assert raised.value.where == "<input> line 1, stream 'items', property 'missing'"


def test_a_table_with_another_primary_key_is_an_error(load: Load, db: Any, m: Any) -> None:
    db.execute("CREATE TABLE items (id bigint, name text PRIMARY KEY)")

    with pytest.raises(ProtocolError, match="primary key"):
        load([m.schema("items", ITEMS)])


def test_two_streams_for_one_table_are_an_error(load: Load, m: Any) -> None:
    with pytest.raises(ProtocolError, match="already loads into table"):
        load([m.schema("public-items", ITEMS), m.schema("items", ITEMS)])


def test_interleaved_streams_with_repeated_keys_keep_the_last_record(
    load: Load, db: Any, m: Any
) -> None:
    messages = [m.schema("a", ITEMS), m.schema("b", ITEMS)]
    for n in range(15_000):
        stream = "a" if n % 2 else "b"
        messages.append(m.record(stream, {"id": n % 97, "name": f"{stream}{n}"}))
    load(messages, batch_size_rows=4_000)

    last: dict[str, dict[int, str]] = {"a": {}, "b": {}}
    for n in range(15_000):
        stream = "a" if n % 2 else "b"
        last[stream][n % 97] = f"{stream}{n}"
    assert dict(db.rows("SELECT id, name FROM a")) == last["a"]
    assert dict(db.rows("SELECT id, name FROM b")) == last["b"]


def test_bad_value_in_a_staged_batch_names_its_line(load: Load, db: Any, m: Any) -> None:
    load([m.schema("items", ITEMS), *items(m, (1, "a"))])
    schema = m.schema("items", {**ITEMS, "n": {"type": "integer"}})

    with pytest.raises(ProtocolError) as raised:
        load([schema, m.record("items", {"id": 1, "name": "b", "n": 1}),
              m.record("items", {"id": 2, "name": "c", "n": "x"})])  # fmt: skip

    assert "line 3" in str(raised.value)
    assert "property 'n'" in str(raised.value)
    assert db.rows("SELECT id, name FROM items") == [(1, "a")]


def test_repeated_key_in_append_only_to_a_keyed_table_is_a_clear_error(
    load: Load, db: Any, m: Any
) -> None:
    db.execute("CREATE TABLE items (id bigint PRIMARY KEY, name text)")
    db.execute("INSERT INTO items VALUES (1, 'a')")

    with pytest.raises(ProtocolError) as raised:
        load([m.schema("items", ITEMS, keys=[]), *items(m, (2, "b"), (1, "again"))],
             load_method="append-only")  # fmt: skip

    assert "line 3" in str(raised.value)
    assert "already exists" in str(raised.value)
    assert "upsert" in str(raised.value)
    assert db.rows("SELECT id FROM items") == [(1,)]


def test_old_batches_commit_at_the_next_state(load: Load, m: Any) -> None:
    messages = [m.schema("items", ITEMS)]
    for n in range(1, 4):
        messages += [*items(m, (n, str(n))), m.state({"at": n})]

    assert load(messages, max_batch_age_seconds=0).states == [{"at": 1}, {"at": 2}, {"at": 3}]


def test_each_commit_reports_the_rows_it_committed_per_stream(
    cli: Any, db: Any, m: Any, committed: Any
) -> None:
    messages = [m.schema("items", ITEMS), m.schema("other", ITEMS)]
    for n in range(1, 7):
        messages += [*items(m, (n, "a")), m.record("other", {"id": n}), m.state({"at": n})]
    run = cli(messages, max_batch_age_seconds=0)

    assert run.code == 0, run.stderr
    counts = committed(run.stderr)
    assert counts == {"items": [1] * 6, "other": [1] * 6}  # one commit per STATE
    assert db.rows("SELECT count(*) FROM items") == [(sum(counts["items"]),)]
    assert db.rows("SELECT count(*) FROM other") == [(sum(counts["other"]),)]


def test_a_rolled_back_batch_reports_no_committed_rows(
    cli: Any, db: Any, m: Any, committed: Any
) -> None:
    messages = [m.schema("items", ITEMS), *items(m, (1, "a"), (2, "b")), m.state({"at": 2})]
    messages += [*items(m, (3, "c")), m.record("items", {"id": "x"}), m.state({"at": 4})]
    run = cli(messages, max_batch_age_seconds=0)

    assert run.code == 65
    assert committed(run.stderr) == {"items": [2]}
    assert db.rows("SELECT count(*) FROM items") == [(2,)]
    assert run.states == [{"at": 2}]


def test_rows_after_the_last_state_are_never_committed_at_the_default_batch_size(
    cli: Any, db: Any, m: Any
) -> None:
    """A full batch commits at the next STATE, not mid-stream: whatever is committed is
    covered by a written STATE, so a rerun from it duplicates nothing (append-only)."""
    messages = [m.schema("events", ITEMS, keys=[])]
    for n in range(1, 150_001):
        messages.append(m.record("events", {"id": n}))
        if n % 10_000 == 0:
            messages.append(m.state({"events": n}))
    messages.append(m.record("events", {"id": "not a number"}))
    run = cli(messages)

    assert run.code == 65
    assert "nothing after the last emitted STATE was committed" in run.stderr
    # 100,000 rows fill the default batch; it commits at the STATE that follows them
    assert run.states == [{"events": 100_000}]
    assert db.rows("SELECT count(*), max(id) FROM events") == [(100_000, 100_000)]
