"""When a venv is up to date: a fingerprint of what was installed into it, kept inside it.

The fingerprint hashes the installer arguments, the interpreter (implementation, version and
base prefix: a venv is bound to the Python that made it), the version of the elt that
installs (its own plugins are installed at it: an upgrade of elt reinstalls them) and, for
each local path among the arguments, the path, size and modification time of every file
under it. Local sources are followed because installs are not editable: an edit to
``./taps/tap-csv`` is only seen by the plugin after a reinstall, which ``elt install`` (and
``elt run``) then do by themselves. A remote requirement is fingerprinted by its text only:
``tap-x`` or a git branch is not re-resolved until pip_url changes or ``--clean`` rebuilds.
Where packages are fetched from (wheelhouses, an index: :class:`~elt.install.requirements.Sources`)
is not part of it.

The record is ``elt-install.json`` in the venv, versioned (``format``) and written atomically
as the last step of a build, so a venv without a readable record of the current format is
treated as not installed.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import sys
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

from elt.files import atomic_write
from elt.install.requirements import Requirements

__all__ = ["FORMAT", "RECORD_FILE", "InstallRecord", "fingerprint", "read_record", "write_record"]

FORMAT = 1
RECORD_FILE = "elt-install.json"
# Not part of what gets installed: VCS data, caches, build output, virtualenvs.
_SKIPPED_DIRS = {
    ".git", ".hg", ".svn", "__pycache__", ".venv", "venv", ".tox", ".nox", ".elt", ".cache",
    ".mypy_cache", ".pytest_cache", ".ruff_cache", "node_modules", "build", "dist",
}  # fmt: skip


@dataclass(frozen=True)
class InstallRecord:
    """What ``elt-install.json`` says about the install in its venv."""

    fingerprint: str
    plugin: str
    args: tuple[str, ...]
    installer: str
    python: str
    installed_at: str
    format: int = FORMAT


def interpreter() -> str:
    """The Python a venv is built on: ``CPython 3.11.7 /usr/local``."""
    return f"{platform.python_implementation()} {platform.python_version()} {sys.base_prefix}"


def fingerprint(requirements: Requirements) -> str:
    """A hash that changes whenever a reinstall could install something different."""
    digest = hashlib.sha256()
    identity = [FORMAT, interpreter(), requirements.elt_version, requirements.args]
    digest.update(json.dumps(identity).encode())
    for path in requirements.local_paths:
        digest.update(f"\0{path}\0".encode())
        for entry in _tree_entries(path):
            digest.update(entry.encode())
    return digest.hexdigest()


def _tree_entries(path: Path) -> Iterator[str]:
    """``<relative path> <size> <mtime>`` of every file under ``path`` (or of ``path``)."""
    if path.is_file():
        stat = path.stat()
        yield f". {stat.st_size} {stat.st_mtime_ns}\n"
        return
    for directory, subdirs, files in os.walk(path):
        subdirs[:] = sorted(
            d for d in subdirs if d not in _SKIPPED_DIRS and not d.endswith(".egg-info")
        )
        for name in sorted(files):
            file = os.path.join(directory, name)
            try:
                stat = os.stat(file)
            except OSError:  # a dangling link, or a file removed while we walk
                continue
            yield f"{os.path.relpath(file, path)} {stat.st_size} {stat.st_mtime_ns}\n"


def read_record(venv: Path) -> InstallRecord | None:
    """The record of a complete install in ``venv``; None if there is none we can trust."""
    try:
        data = json.loads((venv / RECORD_FILE).read_text(encoding="utf-8"))
        if data.get("format") != FORMAT:
            return None
        return InstallRecord(**{**data, "args": tuple(data["args"])})
    except (OSError, ValueError, TypeError, AttributeError, KeyError):
        return None


def write_record(venv: Path, record: InstallRecord) -> None:
    """Write the record atomically (it marks the venv complete)."""
    atomic_write(venv / RECORD_FILE, json.dumps(asdict(record), indent=2) + "\n")
