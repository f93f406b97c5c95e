"""A worker's own folder for the units it runs: their projects, and the plugin venvs they share.

A worker has no checkout of the project, only what a unit brings (its ``plugins.yml``) and
what it can install. Under the cache directory (:data:`CACHE_ENV`, default
``~/.cache/elt/worker``):

- ``projects/<hash of plugins.yml>/plugins.yml``: the coordinator's manifest, verbatim, so
  every unit of a run — and every later run of the same project file — opens the same
  folder. It is loaded without ``${VAR}`` interpolation: the variables are the coordinator's,
  and what needs them (each plugin's config) arrives resolved in the unit itself.
- ``venvs/<fingerprint>/``: one plugin venv (with its install lock), keyed by
  :func:`elt.install.fingerprint.fingerprint` of what it installs. A project folder's
  ``.elt/plugins/<kind>/<owner>`` is a link to it, so elt's own installer
  (:func:`elt.run.install_missing`) builds and finds it as in a local project, its lock
  keeps two units of one worker from installing it twice, and a project file that changes
  in something else keeps its venvs. The venv's scripts name the path through the link of
  the project that built it: both live under this cache and are removed together.

Where packages come from is the manifest's ``find_links``/``index_url``, or the worker's
``ELT_FIND_LINKS``/``ELT_INDEX_URL`` (:mod:`elt.install.sources`): elt's own plugins install
as ``elt-<plugin>==<elt's version>`` from the wheelhouse ``make dist`` builds.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from elt.errors import PluginError
from elt.files import atomic_write
from elt.install import requirements
from elt.install.fingerprint import fingerprint
from elt.install.layout import plugin_dir, venv_owner
from elt.project import PROJECT_FILE, Plugin, Project, load_project
from elt.run import install_missing

__all__ = ["CACHE_ENV", "DEFAULT_CACHE", "WorkerCache"]

CACHE_ENV = "ELT_WORKER_CACHE"
DEFAULT_CACHE = "~/.cache/elt/worker"


@dataclass(frozen=True)
class WorkerCache:
    """The cache directory of one worker (see the module docstring)."""

    root: Path

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] = os.environ) -> WorkerCache:
        """The cache :data:`CACHE_ENV` names, else :data:`DEFAULT_CACHE`, made absolute."""
        return cls(Path(environ.get(CACHE_ENV) or DEFAULT_CACHE).expanduser().absolute())

    def project(self, manifest: bytes) -> Project:
        """The worker-local project holding ``manifest`` (written once, private to the
        worker's user: a plugins.yml may hold more than it should)."""
        folder = self.root / "projects" / hashlib.sha256(manifest).hexdigest()[:24]
        file = folder / PROJECT_FILE
        if not file.is_file():
            folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            atomic_write(file, manifest.decode("utf-8"), mode=0o600)
        return load_project(folder, interpolate=False)

    def install(self, project: Project, names: Sequence[str], *, environment: str | None) -> None:
        """Make the plugins called ``names`` runnable: link each one's venv folder to the
        shared one of its fingerprint, then install what is missing there.

        Raises the installer's PluginError (naming the plugin and where it looked) when an
        install fails.
        """
        plugins = [project.plugin(name) for name in names]
        for plugin in plugins:
            self._link(project, plugin)
        install_missing(project, plugins, environment=environment)

    def _link(self, project: Project, plugin: Plugin) -> None:
        """Point the project's folder of ``plugin``'s venv at the shared one.

        A plugin without a pip_url of its own or elt's (an ``executable`` found on the
        worker's PATH) has nothing to install and gets no link.
        """
        owner = venv_owner(plugin)
        try:
            wanted = requirements(project.root, owner)
        except PluginError:
            return
        shared = self.root / "venvs" / fingerprint(wanted)[:32]
        shared.mkdir(parents=True, exist_ok=True)
        link = plugin_dir(project.root, owner)
        if link.is_symlink() and link.resolve() == shared.resolve():
            return
        link.parent.mkdir(parents=True, exist_ok=True)
        temporary = link.with_name(f".{link.name}.link-{os.getpid()}-{threading.get_ident()}")
        temporary.unlink(missing_ok=True)
        temporary.symlink_to(shared, target_is_directory=True)
        os.replace(temporary, link)
