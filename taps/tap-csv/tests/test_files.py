from __future__ import annotations

import gzip
from collections.abc import Callable
from pathlib import Path

import pytest
from tap_csv.files import decode_error, find_files, open_text

from elt.errors import ConfigError


def test_a_folder_means_its_csv_files_recursively_in_path_order(
    tmp_path: Path, write: Callable[..., Path]
) -> None:
    for name in ("b.csv", "a.csv", "sub/c.csv.gz", "sub/d.tsv", "notes.txt"):
        write(f"data/{name}", "x\n")
    found = [
        Path(f.path).relative_to(tmp_path / "data").as_posix()
        for f in find_files(str(tmp_path / "data"), where="w")
    ]
    assert found == ["a.csv", "b.csv", "sub/c.csv.gz", "sub/d.tsv"]


def test_a_glob_matches_files_only(tmp_path: Path, write: Callable[..., Path]) -> None:
    write("in/2026-01.csv", "x\n")
    write("in/2026-02.csv", "x\n")
    (tmp_path / "in" / "2026-03.csv").mkdir()
    found = find_files(str(tmp_path / "in" / "2026-*.csv"), where="w")
    assert [Path(f.path).name for f in found] == ["2026-01.csv", "2026-02.csv"]


def test_a_named_file_is_read_whatever_its_extension(write: Callable[..., Path]) -> None:
    path = write("export.txt", "x\n")
    [found] = find_files(str(path), where="w")
    assert (found.path, found.size) == (str(path), 2)


@pytest.mark.parametrize("pattern", ["missing.csv", "nothing-*.csv", "."])
def test_a_path_that_matches_no_file_is_an_error(
    pattern: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError) as error:
        find_files(pattern, where="files[0].path")
    assert error.value.where == "files[0].path"
    assert "matches no file" in error.value.message


def test_gzip_files_are_decompressed_and_a_utf8_bom_is_dropped(tmp_path: Path) -> None:
    path = tmp_path / "a.csv.gz"
    with gzip.open(path, "wb") as out:
        out.write("\ufeffnom\r\nété\r\n".encode())
    with open_text(str(path), "utf-8") as text:
        assert text.read() == "nom\r\nété\r\n"


def test_decode_errors_name_the_line_column_and_bytes(write: Callable[..., Path]) -> None:
    path = write("latin.csv", "id,name\n1,plain\n2,caf\xe9\n", encoding="latin-1")
    error = decode_error(str(path), "utf-8", "files[0]")
    assert error.where == f"{path} line 3"
    assert "b'\\xe9' at column 6 are not valid utf-8" in error.message
    assert "files[0]" in (error.hint or "")


def test_decode_errors_far_into_a_file_are_located(write: Callable[..., Path]) -> None:
    lines = "".join(f"{i},{'x' * 50}\n" for i in range(5000))
    path = write("big.csv", lines.encode() + b"5000,\xff\n")
    assert decode_error(str(path), "utf-8", "files[0]").where == f"{path} line 5001"
