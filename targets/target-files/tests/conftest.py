"""Running target-files in process (data behaviour) and as its executable (exit codes)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from target_files import LocalStore, TargetFiles

from tests.fixtures.lake import LakeRun, Message, lines, run_in_process
from tests.fixtures.targets import CliRun, run_executable


@dataclass
class Loaded:
    """One run: its STATEs, its error (in process) and the folder's store."""

    run: LakeRun
    store: LocalStore

    @property
    def states(self) -> list[Any]:
        return self.run.states


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return tmp_path / "lake"


@pytest.fixture
def load(folder: Path) -> Callable[..., Loaded]:
    """``load(messages, **settings)``: run TargetFiles in process into ``folder``."""

    def run(messages: Sequence[Message] | bytes, **settings: Any) -> Loaded:
        target = TargetFiles(config={"path": str(folder), **settings})
        return Loaded(run_in_process(target, messages), LocalStore(folder))

    return run


@pytest.fixture
def cli(folder: Path, tmp_path: Path) -> Callable[..., CliRun]:
    """``cli(messages, **settings)``: run the ``target-files`` executable on them."""

    def run(messages: Sequence[Message] | bytes, **settings: Any) -> CliRun:
        config = {"path": str(folder), **settings}
        return run_executable("target-files", config, lines(messages), tmp_path)

    return run
