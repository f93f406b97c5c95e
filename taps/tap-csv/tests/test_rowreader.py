from __future__ import annotations

import csv
import io
import random

import pytest
from tap_csv.rowreader import RowReader
from tap_csv.settings import Dialect, EntitySettings

from elt.errors import ProtocolError


def settings(**dialect: object) -> EntitySettings:
    return EntitySettings(entity="t", path="t.csv", where="files[0]", dialect=Dialect(**dialect))  # type: ignore[arg-type]


def read_all(text: str, batch: int = 3, **dialect: object) -> tuple[list[list[str]], int]:
    reader = RowReader(io.StringIO(text, newline=""), "t.csv", settings(**dialect))
    rows: list[list[str]] = []
    while chunk := reader.read(batch):
        rows.extend(chunk)
    return rows, reader.line_num


def by_csv(text: str, **dialect: object) -> list[list[str]]:
    options = settings(**dialect).dialect.reader_options()
    return list(csv.reader(io.StringIO(text, newline=""), **options))


TRICKY = [
    'id,text\n1,"a, b"\n2,"say ""hi"""\n',
    'id,text\r\n1,"two\r\nlines"\r\n2,plain\r\n',
    'id,text\n1,"three\nline\nfield"\n2,x\n\n3,"",\n',
    "id,text\r1,old mac\r2,line endings\r",
    'id,text\n1,5" screen\n2,"quoted, then ""escaped"""\n3,a"b,"c\nd"\n',
    'id,text\n1,"never closed\n2,x\n',
    "id,text\n1,ünïcödé 東京\n2,no newline at end",
    "\n\nid\n\n1\n",
]


@pytest.mark.parametrize("text", TRICKY)
def test_rows_are_exactly_what_csv_reader_gives(text: str) -> None:
    rows, _ = read_all(text)
    assert rows == by_csv(text)


@pytest.mark.parametrize("text", TRICKY)
def test_dialects_that_split_cannot_serve_use_csv_reader_alone(text: str) -> None:
    assert read_all(text, escapechar="\\")[0] == by_csv(text, escapechar="\\")
    assert read_all(text, skipinitialspace=True)[0] == by_csv(text, skipinitialspace=True)


def test_other_delimiters_and_quote_characters_are_honoured() -> None:
    text = "a;b\n'x;y';z\n1;2\n"
    assert read_all(text, delimiter=";", quotechar="'")[0] == [["a", "b"], ["x;y", "z"], ["1", "2"]]


def test_line_count_includes_lines_inside_quoted_fields() -> None:
    _, lines = read_all('a\n"1\n2\n3"\nb\n')
    assert lines == 5


def test_random_csv_round_trips_through_the_reader() -> None:
    rng = random.Random(7)
    pieces = ["a", "b,c", 'q"q', "\n", "\r\n", "", " ", "ü", '""', ","]
    for _ in range(300):
        rows = [
            ["".join(rng.choice(pieces) for _ in range(rng.randint(0, 3))) for _ in range(3)]
            for _ in range(rng.randint(1, 5))
        ]
        out = io.StringIO(newline="")
        csv.writer(out).writerows(rows)
        text = out.getvalue()
        assert read_all(text, batch=2)[0] == by_csv(text) == rows


def test_strict_quoting_errors_name_the_line() -> None:
    with pytest.raises(ProtocolError) as error:
        read_all('id,text\n1,ok\n2,"bad"x\n', strict=True)
    assert error.value.where == "t.csv line 3"
