"""``elt install``: bring the venvs of some plugins up to date, in parallel, each under a lock.

One job per venv (plugins sharing a venv through ``inherit_from`` are one job), run on a
thread pool of ``jobs`` workers; the installers are subprocesses, so threads suffice. Each job
takes the venv's lock, cleans up after an install that died, and compares the fingerprint of
what would be installed with the record in the venv: equal means nothing to do, unless
``clean``. Otherwise it builds a new venv beside the old one and swaps it in on success.

A job that fails does not stop the others; its result carries the error, and the old venv
stays in place. The caller decides what a failure means (``elt install`` exits 70 after
reporting every plugin; ``elt run`` stops before starting anything).
"""

from __future__ import annotations

import logging
import shutil
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path

from elt.errors import EltError, PluginError
from elt.install.fingerprint import (
    InstallRecord,
    fingerprint,
    interpreter,
    read_record,
    write_record,
)
from elt.install.layout import lock_file, plugin_dir, venv_dir, venv_owner
from elt.install.lock import install_lock
from elt.install.requirements import requirements
from elt.install.sources import install_sources
from elt.install.venv import (
    Installer,
    build_venv,
    recover,
    replace_venv,
    resolve_installer,
    shown_command,
    staging_dir,
)
from elt.project import Plugin, Project

__all__ = [
    "InstallResult",
    "InstallStatus",
    "VenvState",
    "install_plugins",
    "uninstall",
    "venv_state",
]

log = logging.getLogger(__name__)


class InstallStatus(StrEnum):
    """What ``elt install`` did for one plugin."""

    INSTALLED = "installed"
    UPDATED = "updated"
    UP_TO_DATE = "up to date"
    FAILED = "failed"


class VenvState(StrEnum):
    """How a plugin's venv compares with what its pip_url would install now."""

    CURRENT = "current"
    STALE = "stale"
    MISSING = "missing"


@dataclass(frozen=True)
class InstallResult:
    """The outcome for one plugin; ``owner`` names the plugin whose venv it uses."""

    plugin: str
    owner: str
    status: InstallStatus
    venv: Path
    installer: Installer | None = None
    duration: float = 0.0
    error: EltError | None = None

    @property
    def shared(self) -> bool:
        """Whether the venv is another plugin's (``inherit_from``)."""
        return self.owner != self.plugin


def venv_state(project: Project, plugin: Plugin) -> VenvState:
    """Whether ``plugin``'s venv is missing, built from other sources, or current."""
    record = read_record(venv_dir(project.root, plugin))
    if record is None:
        return VenvState.MISSING
    current = fingerprint(requirements(project.root, plugin))
    return VenvState.CURRENT if record.fingerprint == current else VenvState.STALE


def install_plugins(
    project: Project,
    names: Sequence[str] = (),
    *,
    clean: bool = False,
    jobs: int = 1,
    installer: Installer = Installer.AUTO,
) -> tuple[InstallResult, ...]:
    """Install the plugins called ``names`` (all of the project's when empty), in that order.

    Raises ProjectError for an unknown name and PluginError when ``installer`` is ``uv`` and
    there is none; every other failure is in the failed plugin's result.
    """
    plugins = [project.plugin(name) for name in dict.fromkeys(names)] or list(project.plugins)
    chosen, uv = resolve_installer(installer)
    owners = {venv_dir(project.root, p): venv_owner(p) for p in plugins}
    with ThreadPoolExecutor(max_workers=max(1, min(jobs, len(owners) or 1))) as pool:
        futures = {
            venv: pool.submit(_install, project, owner, clean=clean, installer=chosen, uv=uv)
            for venv, owner in owners.items()
        }
        done = {venv: future.result() for venv, future in futures.items()}
    results = []
    for plugin in plugins:
        outcome = done[venv_dir(project.root, plugin)]
        results.append(
            InstallResult(
                plugin.name,
                outcome.owner,
                outcome.status,
                outcome.venv,
                outcome.installer,
                outcome.duration,
                outcome.error,
            )
        )
    return tuple(results)


def uninstall(project: Project, plugin: Plugin) -> Path | None:
    """Remove ``plugin``'s venv, if it has one of its own, under the install lock (an install
    in progress finishes first); the directory removed, or None. A venv it shares with the
    plugin it inherits from stays."""
    if venv_owner(plugin).name != plugin.name:
        return None
    directory = plugin_dir(project.root, plugin)
    if not directory.exists():
        return None
    with install_lock(lock_file(project.root, plugin)):
        shutil.rmtree(directory)
    return directory


def _install(
    project: Project, owner: Plugin, *, clean: bool, installer: Installer, uv: Path | None
) -> InstallResult:
    started = time.monotonic()
    venv = venv_dir(project.root, owner)
    try:
        with install_lock(lock_file(project.root, owner)):
            recover(venv)
            wanted = requirements(project.root, owner)
            current = fingerprint(wanted)
            record = read_record(venv)
            if record is not None and record.fingerprint == current and not clean:
                return InstallResult(owner.name, owner.name, InstallStatus.UP_TO_DATE, venv)
            sources = install_sources(project)
            shown = shown_command([*sources.args, *wanted.args])
            log.info("installing %s with %s: %s", owner.name, installer, shown)
            staging = staging_dir(venv)
            try:
                build_venv(
                    staging,
                    wanted,
                    installer=installer,
                    uv=uv,
                    cwd=project.root,
                    where=owner.name,
                    sources=sources,
                )
                write_record(
                    staging,
                    InstallRecord(
                        fingerprint=current,
                        plugin=owner.name,
                        args=wanted.args,
                        installer=installer.value,
                        python=interpreter(),
                        installed_at=datetime.now(UTC).isoformat(timespec="seconds"),
                    ),
                )
                replace_venv(staging, venv)
            finally:
                shutil.rmtree(staging, ignore_errors=True)
    except EltError as error:
        return _failed(owner, venv, installer, started, error)
    except OSError as error:
        problem = PluginError(f"cannot build its virtualenv: {error}", where=owner.name)
        return _failed(owner, venv, installer, started, problem)
    status = InstallStatus.INSTALLED if record is None else InstallStatus.UPDATED
    return InstallResult(
        owner.name, owner.name, status, venv, installer, time.monotonic() - started
    )


def _failed(
    owner: Plugin, venv: Path, installer: Installer, started: float, error: EltError
) -> InstallResult:
    duration = time.monotonic() - started
    return InstallResult(
        owner.name, owner.name, InstallStatus.FAILED, venv, installer, duration, error
    )
