"""A tap's discovered catalog outside a run, for ``elt select --list``.

It comes from the catalog cache (:class:`elt.run.catalog.CatalogCache`) when the tap's
config and executable are unchanged since a run or a listing discovered it; else the tap is
started with ``--discover`` (logged to ``.elt/logs/discover/<tap>/<time>.log``).
"""

from __future__ import annotations

from datetime import UTC, datetime

from elt.project import Plugin, Project
from elt.protocol import Catalog
from elt.run.catalog import CatalogCache, discover
from elt.run.invoker import prepare
from elt.run.logs import Redactor, RunLog
from elt.run.private import private_directory
from elt.run.process import Supervisor

__all__ = ["discover_catalog"]

_STOP_TIMEOUT = 10.0


def discover_catalog(
    project: Project, plugin: Plugin, *, environment: str | None = None, refresh: bool = False
) -> tuple[Catalog, bool]:
    """The tap's catalog, from the cache unless ``refresh``; True when it came from there."""
    with private_directory("discover") as workdir:
        tap = prepare(project, plugin, environment=environment, workdir=workdir)
        cache = CatalogCache(project.root)
        if not refresh and (cached := cache.get(tap)) is not None:
            return cached, True
        stamp = f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}"
        log_path = project.root / ".elt" / "logs" / "discover" / plugin.name / f"{stamp}.log"
        log = RunLog(log_path, Redactor(tap.secrets))
        try:
            with Supervisor(log, _STOP_TIMEOUT) as supervisor:
                catalog = discover(supervisor, tap, workdir)
        finally:
            log.close()
        cache.put(tap, catalog)
        return catalog, False
