from __future__ import annotations

from tap_csv.records import record_builder


def test_the_builder_maps_values_to_columns_in_order_for_any_column_name() -> None:
    names = ["id", "it's", 'say "x"', "ünï", "a\\b", "lambda"]
    build = record_builder(names)
    assert build(1, 2, 3, 4, 5, 6) == dict(zip(names, range(1, 7), strict=True))
    assert list(map(build, *[[1, 7]] * 6)) == [dict.fromkeys(names, 1), dict.fromkeys(names, 7)]
