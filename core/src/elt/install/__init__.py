"""Per-plugin virtualenvs: ``elt install`` and what ``elt run`` uses to find a plugin.

Each plugin runs from its own virtualenv under ``.elt/plugins/<kind>/<name>/venv``
(:mod:`elt.install.layout`; ``inherit_from`` plugins share their parent's), built from its
``pip_url`` — or, for elt's own plugins, elt's own distribution at elt's version
(:mod:`elt.install.requirements`) — looking in the project's wheelhouses and index too
(:mod:`elt.install.sources`), with uv or venv + pip (:mod:`elt.install.venv`).
A fingerprint of what was installed, kept in the venv (:mod:`elt.install.fingerprint`),
makes installs idempotent; a file lock per venv (:mod:`elt.install.lock`) makes parallel and
concurrent installs safe; a failed install keeps the previous venv
(:mod:`elt.install.installer`).
"""

from __future__ import annotations

from elt.install.fingerprint import InstallRecord, read_record
from elt.install.installer import (
    InstallResult,
    InstallStatus,
    VenvState,
    install_plugins,
    uninstall,
    venv_state,
)
from elt.install.layout import PLUGINS_DIR, venv_dir, venv_owner
from elt.install.requirements import (
    CORE_DISTRIBUTION,
    Origin,
    Requirements,
    checkout,
    elt_origin,
    requirements,
)
from elt.install.sources import Sources, install_sources
from elt.install.venv import Installer, find_uv

__all__ = [
    "CORE_DISTRIBUTION",
    "PLUGINS_DIR",
    "InstallRecord",
    "InstallResult",
    "InstallStatus",
    "Installer",
    "Origin",
    "Requirements",
    "Sources",
    "VenvState",
    "checkout",
    "elt_origin",
    "find_uv",
    "install_plugins",
    "install_sources",
    "read_record",
    "requirements",
    "uninstall",
    "venv_dir",
    "venv_owner",
    "venv_state",
]
