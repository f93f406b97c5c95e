from __future__ import annotations

import gzip
from pathlib import Path
from urllib.parse import urlsplit

from tap_csv.batchfiles import BatchFiles

from elt.protocol.csvbatch import CsvBatchSettings


def local(url: str) -> Path:
    assert url.startswith("file:///")
    return Path(urlsplit(url).path)


def test_files_rotate_at_exactly_batch_size_rows_each_with_the_header(tmp_path: Path) -> None:
    files = BatchFiles(
        CsvBatchSettings(tmp_path, "run1-", "none", 3),
        tap="tap-csv",
        stream="a/../b",
        header=["id"],
    )
    urls = files.write(["1", "2"]) + files.write(["3", "4", "5", "6", "7"])
    last = files.finish()
    assert last is not None
    urls.append(last)
    assert [local(url).read_text() for url in urls] == [
        "id\n1\n2\n3\n",
        "id\n4\n5\n6\n",
        "id\n7\n",
    ]
    names = [local(url).name for url in urls]
    assert all(name.startswith("run1-tap-csv--a_.._b-") for name in names)
    assert [name[-9:] for name in names] == ["00001.csv", "00002.csv", "00003.csv"]
    assert files.finish() is None
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(names)  # no .tmp left


def test_gzip_files_hold_the_same_text(tmp_path: Path) -> None:
    files = BatchFiles(
        CsvBatchSettings(tmp_path, "", "gzip", 10), tap="t", stream="s", header=["id", "a,b"]
    )
    files.write(["1,x"])
    url = files.finish()
    assert url is not None
    assert url.endswith(".csv.gz")
    assert gzip.decompress(local(url).read_bytes()) == b'"id","a,b"\n1,x\n'


def test_a_discarded_file_leaves_nothing_behind(tmp_path: Path) -> None:
    files = BatchFiles(
        CsvBatchSettings(tmp_path, "", "none", 10), tap="t", stream="s", header=["id"]
    )
    files.write(["1"])
    assert [p.suffix for p in tmp_path.iterdir()] == [".tmp"]
    files.discard()
    assert list(tmp_path.iterdir()) == []
