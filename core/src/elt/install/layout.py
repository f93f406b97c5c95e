"""Where a plugin's virtualenv lives, and which plugin owns it.

Every plugin gets ``<project>/.elt/plugins/<kind>/<owner>/venv``, with the lock file
``install.lock`` beside it. The owner is the plugin itself, unless it inherits its install
from a parent: a plugin whose ``pip_url`` comes from ``inherit_from`` (it does not set its own)
uses the venv of the nearest ancestor that sets one (or of the root ancestor when none does),
so ``tap-csv-sales`` and ``tap-csv-orders`` share one install of ``tap-csv``. A child that
sets its own ``pip_url`` installs something else and gets a venv of its own.
"""

from __future__ import annotations

from pathlib import Path

from elt.project import Plugin

__all__ = [
    "LOCK_FILE",
    "PLUGINS_DIR",
    "VENV_DIR",
    "lock_file",
    "plugin_dir",
    "venv_dir",
    "venv_owner",
]

PLUGINS_DIR = Path(".elt") / "plugins"
VENV_DIR = "venv"
LOCK_FILE = "install.lock"


def venv_owner(plugin: Plugin) -> Plugin:
    """The plugin whose venv ``plugin`` runs from (itself, or the ancestor it inherits from)."""
    for candidate in (plugin, *plugin.ancestors):
        if candidate.spec.pip_url is not None:
            return candidate
    return (plugin, *plugin.ancestors)[-1]


def plugin_dir(root: Path, plugin: Plugin) -> Path:
    """``<project>/.elt/plugins/<kind>/<owner>``: the venv, its lock and its staging dirs."""
    owner = venv_owner(plugin)
    return root / PLUGINS_DIR / owner.kind.value / owner.name


def venv_dir(root: Path, plugin: Plugin) -> Path:
    """The virtualenv ``plugin`` runs from (it may not exist yet)."""
    return plugin_dir(root, plugin) / VENV_DIR


def lock_file(root: Path, plugin: Plugin) -> Path:
    """The file whose lock serialises installs of one venv across processes."""
    return plugin_dir(root, plugin) / LOCK_FILE
