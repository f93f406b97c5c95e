"""Private run folders (config files with secrets) of elts killed by SIGKILL are removed by
the next elt command; a live run's folder never is."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from core.tests.plugins import TAP, TARGET, ToyProject, elt_executable, is_alive, wait_for
from elt.run.pids import start_time
from elt.run.private import private_directory, remove_stale_directories


@pytest.fixture
def tmpdir_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A temporary directory of this test's own, for the elt processes it starts."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setenv("TMPDIR", str(folder))
    return folder


def start_hanging(toy: ToyProject, state_id: str) -> subprocess.Popen[str]:
    """A run that hangs once 2 items are committed."""
    process = start(toy, state_id)
    wait_for(lambda: (toy.state(state_id) or {}).get("bookmarks", {}).get("items") == {"id": 2})
    return process


def start(toy: ToyProject, state_id: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [elt_executable(), "--project", str(toy.root), "run", TAP, TARGET, "--state-id", state_id],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_the_next_run_removes_the_folder_of_a_killed_elt_and_never_a_live_ones(
    toy: ToyProject, tmpdir_env: Path
) -> None:
    folders = {}
    processes = {}
    for name in ("killed", "live"):
        report = str(toy.root / f"{name}.json")
        toy.write(tap={"count": 10, "hang_after": 2, "password": "s3cret-pw", "report": report})
        processes[name] = start_hanging(toy, name)
        folders[name] = Path(toy.report(f"{name}.json")["config"]).parent
    tap_pid = toy.report("killed.json")["pid"]
    processes["killed"].kill()
    processes["killed"].communicate(timeout=10)
    wait_for(lambda: not is_alive(tap_pid))
    assert folders["killed"].parent == tmpdir_env
    assert "s3cret-pw" in (folders["killed"] / f"{TAP}.config.json").read_text()
    try:
        toy.write(tap={"count": 3})
        other = start(toy, "another")
        other.communicate(timeout=60)
        assert other.returncode == 0
        assert not folders["killed"].exists()
        assert (folders["live"] / f"{TAP}.config.json").is_file()
    finally:
        processes["live"].terminate()
        processes["live"].communicate(timeout=30)
    assert processes["live"].returncode == 143
    assert list(tmpdir_env.iterdir()) == []


def test_only_folders_of_gone_processes_of_this_host_and_user_are_removed(
    tmp_path: Path,
) -> None:
    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    )
    dead_pid = int(gone.stdout)
    with private_directory("run") as mine:
        host = mine.name.split("-")[2]
    me, my_start = os.getpid(), start_time(os.getpid()) or 0
    names = {
        "dead": f"elt-run-{host}-{dead_pid}-0-abc",
        "dead invoke": f"elt-invoke-{host}-{dead_pid}-0-abc",
        "dead discover": f"elt-discover-{host}-{dead_pid}-0-abc",
        "reused pid": f"elt-run-{host}-{me}-{my_start + 1}-abc",
        "live": f"elt-run-{host}-{me}-{my_start}-abc",
        "other host": f"elt-run-00000000-{dead_pid}-0-abc",
        "older elt": "elt-run-k2j3h4",
        "not elt": f"other-run-{host}-{dead_pid}-0-abc",
    }
    for name in names.values():
        (tmp_path / name).mkdir()
        (tmp_path / name / "x.config.json").write_text("{}")
    (tmp_path / f"elt-run-{host}-{dead_pid}-0-link").symlink_to(tmp_path / names["live"])
    removed = remove_stale_directories(tmp_path)
    expected = ["dead", "dead invoke", "dead discover"]
    if sys.platform.startswith("linux"):  # elsewhere the start time is unknown: kept
        expected.append("reused pid")
    assert sorted(p.name for p in removed) == sorted(names[n] for n in expected)
    left = {p.name for p in tmp_path.iterdir()}
    assert left == {names[n] for n in names if n not in expected} | {
        f"elt-run-{host}-{dead_pid}-0-link"
    }
    assert (tmp_path / names["live"] / "x.config.json").exists()
