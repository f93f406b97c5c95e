"""Installing what a command is about to run, so ``elt run`` works on a fresh checkout.

A plugin is installed first when it cannot be run as things are: it has no venv of its own
and its executable is nowhere else either (``PATH``, beside elt), or its venv was built from
another pip_url or older local sources. A plugin found on ``PATH`` or beside elt with no venv
of its own runs from there, as before (a workspace where ``uv sync`` installed it).
With ``install=False`` nothing is installed: a missing plugin is an error that names the
``elt install`` command to run, a stale one runs as installed, with a warning.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from elt.errors import PluginError
from elt.install import InstallResult, VenvState, install_plugins, venv_state
from elt.project import Plugin, Project
from elt.run.invoker import find_executable, plugin_environment

__all__ = ["install_missing"]

log = logging.getLogger(__name__)


def install_missing(
    project: Project,
    plugins: Sequence[Plugin],
    *,
    environment: str | None,
    install: bool = True,
) -> tuple[InstallResult, ...]:
    """Install those of ``plugins`` that need it (see the module docstring), in parallel.

    Raises PluginError naming the plugins when one is missing and ``install`` is off, or with
    the installer's error when an install fails.
    """
    search_path = plugin_environment(project, environment).get("PATH")
    missing: list[Plugin] = []
    stale: list[Plugin] = []
    for plugin in {p.name: p for p in plugins}.values():
        state = venv_state(project, plugin)
        if state is VenvState.STALE:
            stale.append(plugin)
        elif state is VenvState.MISSING and not _runnable(project, plugin, search_path):
            missing.append(plugin)
    if not install:
        if missing:
            names = " ".join(p.name for p in missing)
            raise PluginError(
                f"not installed: {names.replace(' ', ', ')} (--no-install)",
                hint=f"Run `elt install {names}` first, or leave out --no-install",
            )
        for plugin in stale:
            log.warning(
                "%s was installed from another pip_url or older sources; running it as "
                "installed (`elt install %s` updates it)",
                plugin.name,
                plugin.name,
            )
        return ()
    wanted = [p.name for p in (*missing, *stale)]
    if not wanted:
        return ()
    results = install_plugins(project, wanted, jobs=len(wanted))
    failed = next((r.error for r in results if r.error is not None), None)
    if failed is not None:
        raise failed
    return results


def _runnable(project: Project, plugin: Plugin, search_path: str | None) -> bool:
    try:
        find_executable(project, plugin, search_path)
    except PluginError:
        return False
    return True
