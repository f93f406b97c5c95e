"""Where plugin installs find packages besides the default index: the project's wheelhouses
and an index of its own.

``find_links`` in plugins.yml (``ELT_FIND_LINKS``, space-separated, replaces it) lists
wheelhouses: folders, relative to the project, or URLs; ``index_url`` (``ELT_INDEX_URL``) is
a PEP 503 index asked before the default one. They are where elt's own plugins come from when
elt does not run from its checkout (``elt-tap-csv==<elt's version>``, see
:mod:`elt.install.requirements`) and apply to every plugin install of the project.

They are not part of what is installed, only of where it is fetched from, so they stay out of
the fingerprint: an ``elt run`` without ``ELT_FIND_LINKS`` does not reinstall what
``elt install`` built with it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from elt.project import Project, redact

__all__ = ["FIND_LINKS_ENV", "INDEX_URL_ENV", "Sources", "default_index", "install_sources"]

FIND_LINKS_ENV = "ELT_FIND_LINKS"
INDEX_URL_ENV = "ELT_INDEX_URL"


@dataclass(frozen=True)
class Sources:
    """Where installs look besides the default index: wheelhouses and an index before it."""

    find_links: tuple[str, ...] = ()
    index_url: str | None = None

    @property
    def args(self) -> tuple[str, ...]:
        """Installer options, the same for uv and pip: a wheelhouse is ``--find-links``; the
        index is an extra index, which uv asks first (and alone for a name it has) and pip
        alongside the default one, so dependencies still come from the default index."""
        links = [arg for link in self.find_links for arg in ("--find-links", link)]
        index = ["--extra-index-url", self.index_url] if self.index_url else []
        return (*links, *index)

    def describe(self, default_index: str) -> str:
        """Where an install looked, passwords in URLs hidden: for an error message."""
        places = [f"wheelhouse {redact(link, secret=False)}" for link in self.find_links]
        if self.index_url:
            places.append(f"index {redact(self.index_url, secret=False)}")
        return ", then ".join([*places, f"the default index ({default_index})"])


def install_sources(project: Project) -> Sources:
    """The project's sources: ``ELT_FIND_LINKS`` (space-separated) and ``ELT_INDEX_URL``
    from elt's environment, else ``find_links`` and ``index_url`` of plugins.yml. Relative
    paths are relative to the project root."""
    environ: Mapping[str, str] = project.environ
    links = environ.get(FIND_LINKS_ENV)
    found = links.split() if links is not None else project.manifest.find_links
    index = environ.get(INDEX_URL_ENV) or project.manifest.index_url
    return Sources(tuple(_link(project.root, link) for link in found), index or None)


def _link(root: Path, link: str) -> str:
    """A wheelhouse as the installer takes it: a URL as is, a path made absolute."""
    if "://" in link:
        return link
    return str((root / os.path.expanduser(link)).resolve())


def default_index(env: Mapping[str, str], *, uv: bool) -> str:
    """The index uv (or pip) uses when told none, as far as its environment says."""
    names = ("UV_DEFAULT_INDEX", "UV_INDEX_URL") if uv else ()
    chosen = next((env[n] for n in (*names, "PIP_INDEX_URL") if env.get(n)), None)
    shown = redact(chosen, secret=False) if chosen else "https://pypi.org/simple"
    return f"{shown}, unless the installer's configuration names another"
