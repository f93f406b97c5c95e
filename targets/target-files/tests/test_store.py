"""The local folder's commit protocol: hidden temp file, fsync, atomic rename."""

from __future__ import annotations

from pathlib import Path

import pytest
from target_files import LocalStore

from elt.errors import ConfigError


def visible(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


def test_an_object_is_invisible_until_commit_and_then_complete(tmp_path: Path) -> None:
    store = LocalStore(tmp_path)
    upload = store.open("a/b/part.jsonl")
    upload.write(b"one\n")
    upload.write(b"two\n")
    assert store.list() == []
    (temp,) = visible(tmp_path)
    assert Path(temp).name.startswith(".part.jsonl.")
    assert upload.commit() == 8
    assert store.list() == ["a/b/part.jsonl"]
    assert store.read("a/b/part.jsonl") == b"one\ntwo\n"
    assert visible(tmp_path) == ["a/b/part.jsonl"]


def test_abort_leaves_nothing_behind(tmp_path: Path) -> None:
    store = LocalStore(tmp_path)
    upload = store.open("x/part.csv")
    upload.write(b"data")
    upload.abort()
    upload.abort()
    assert visible(tmp_path) == []


def test_put_writes_a_small_object_atomically(tmp_path: Path) -> None:
    store = LocalStore(tmp_path)
    store.put("_manifests/r.json", b"{}")
    assert store.list("_manifests") == ["_manifests/r.json"]


def test_list_skips_hidden_files_and_folders(tmp_path: Path) -> None:
    (tmp_path / ".tmp").mkdir()
    (tmp_path / ".tmp" / "x").write_text("x")
    (tmp_path / ".half.tmp").write_text("x")
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "f").write_text("x")
    assert LocalStore(tmp_path).list() == ["d/f"]


@pytest.mark.parametrize("key", ["../escape", "/etc/passwd", "a/../../b", "nul\0"])
def test_a_key_leaving_the_folder_is_refused(tmp_path: Path, key: str) -> None:
    with pytest.raises(ConfigError, match="refusing"):
        LocalStore(tmp_path / "root").open(key)


def test_describe_gives_a_file_url(tmp_path: Path) -> None:
    assert LocalStore(tmp_path).describe("a b/c") == (tmp_path / "a b/c").as_uri()


def test_a_folder_under_a_file_fails_the_check_with_a_config_error(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    with pytest.raises(ConfigError, match="could not write to"):
        LocalStore(tmp_path / "file" / "lake").check()


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A folder beside the store's: nothing may ever land in it."""
    folder = tmp_path / "outside"
    folder.mkdir()
    return folder


@pytest.mark.parametrize(
    ("link", "key"),
    [
        ("orders", "orders/dt=2026-01-01/part-0.jsonl"),  # a stream folder
        ("orders/dt=2026-01-01", "orders/dt=2026-01-01/part-0.jsonl"),  # a partition
        ("raw", "raw/orders/part-0.jsonl"),  # a prefix folder
        ("_manifests", "_manifests/run.json"),
    ],
)
def test_a_symlinked_folder_below_the_root_is_refused_and_nothing_lands_outside(
    tmp_path: Path, outside: Path, link: str, key: str
) -> None:
    root = tmp_path / "lake"
    (root / link).parent.mkdir(parents=True)
    (root / link).symlink_to(outside, target_is_directory=True)
    store = LocalStore(root)
    with pytest.raises(ConfigError, match="symbolic link") as caught:
        store.put(key, b"{}")
    assert str(root / link) in str(caught.value)
    with pytest.raises(ConfigError, match="symbolic link"):
        store.open(key)
    assert list(outside.rglob("*")) == []


def test_a_symlink_at_a_files_own_name_is_replaced_not_followed(
    tmp_path: Path, outside: Path
) -> None:
    victim = outside / "victim.txt"
    victim.write_text("keep me")
    root = tmp_path / "lake"
    (root / "orders").mkdir(parents=True)
    (root / "orders" / "part-0.jsonl").symlink_to(victim)
    LocalStore(root).put("orders/part-0.jsonl", b"data")
    assert victim.read_text() == "keep me"
    assert not (root / "orders" / "part-0.jsonl").is_symlink()
    assert (root / "orders" / "part-0.jsonl").read_bytes() == b"data"


def test_the_root_folder_itself_may_be_a_symlink(tmp_path: Path, outside: Path) -> None:
    (tmp_path / "lake").symlink_to(outside, target_is_directory=True)
    store = LocalStore(tmp_path / "lake")
    store.check()
    store.put("orders/part-0.jsonl", b"data")
    assert (outside / "orders" / "part-0.jsonl").read_bytes() == b"data"
    assert store.list() == ["orders/part-0.jsonl"]
