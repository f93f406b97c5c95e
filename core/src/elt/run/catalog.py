"""The catalog a tap runs with: its own discovery, narrowed by ``select``, tuned by ``metadata``.

Discovery runs the tap with ``--discover`` on every run that has something to apply — a
cached catalog goes stale when a source table gains a column — and not at all when the
plugin has neither ``select`` nor ``metadata``: the tap then discovers for itself, with its
own defaults, and the run saves a whole extra start of the tap. Every catalog discovered
is also kept in the catalog cache (:class:`CatalogCache`), which ``elt select --list``
reads; a run never reads it (see the class). In plugins.yml terms:

- ``select`` rules (:mod:`elt.protocol.selection`) mark streams and properties selected.
  With no rules the catalog is left as the tap discovered it, so the tap's own
  ``selected-by-default`` decides. Rules that select no stream at all are an error: a run
  that extracts nothing is a configuration mistake, not a success.
- ``metadata`` maps a stream id (or a glob over ids) to keys set on the stream's root
  breadcrumb, e.g. ``{users: {replication-method: INCREMENTAL, replication-key: updated_at}}``.
  ``replication-method`` and ``replication-key`` are also set on the catalog entry itself,
  where taps written before the metadata convention look for them. A pattern that matches no
  stream is logged as a warning (it is probably a typo).
"""

from __future__ import annotations

import copy
import hashlib
import logging
import os
import subprocess
from collections.abc import Mapping
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

import orjson

from elt.errors import ConfigError, PluginError, ProtocolError
from elt.files import atomic_write
from elt.project import Plugin
from elt.protocol import Catalog, apply_selection
from elt.run.invoker import Invocation, write_private
from elt.run.process import Supervisor, describe_exit

__all__ = ["CACHE_DIR", "CatalogCache", "apply_metadata", "build_catalog", "discover", "narrow"]

logger = logging.getLogger(__name__)

_ENTRY_FIELDS = {"replication-method": "replication_method", "replication-key": "replication_key"}


CACHE_DIR = Path(".elt") / "cache" / "catalogs"


class CatalogCache:
    """Discovered catalogs of a project's taps: ``.elt/cache/catalogs/<tap>/<key>.json``.

    The key is a hash of what decides a discovery's answer: the tap's resolved config
    (secrets included, hashed, never stored) and its executable (path, size, modification
    time, so a reinstall invalidates it). Selection rules and ``metadata`` are applied after
    it is read, so changing them needs no discovery. A run does not read it: what a tap
    offers can change while its config does not (a new table, a new CSV column), and a
    stale catalog would silently leave it out — the complaint Meltano users have of theirs.
    """

    def __init__(self, root: Path) -> None:
        self.directory = root / CACHE_DIR

    def key(self, tap: Invocation) -> str:
        digest = hashlib.sha256(tap.config_file.read_bytes())
        stat = tap.executable.stat()
        digest.update(f"\0{tap.executable}\0{stat.st_size}\0{stat.st_mtime_ns}".encode())
        return digest.hexdigest()[:32]

    def get(self, tap: Invocation) -> Catalog | None:
        path = self._path(tap)
        try:
            document = orjson.loads(path.read_bytes())
        except FileNotFoundError:
            return None
        except (OSError, orjson.JSONDecodeError) as error:
            logger.warning("Ignoring the unreadable cached catalog %s: %s", path, error)
            return None
        return Catalog.from_dict(document, where=str(path))

    def put(self, tap: Invocation, catalog: Catalog) -> Path:
        """Keep ``catalog`` as the tap's one cached catalog (older keys are removed)."""
        path = self._path(tap)
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, orjson.dumps(catalog.to_dict()).decode(), mode=0o600)
        for other in path.parent.glob("*.json"):
            if other != path:
                other.unlink(missing_ok=True)
        return path

    def _path(self, tap: Invocation) -> Path:
        return self.directory / tap.name / f"{self.key(tap)}.json"


def build_catalog(supervisor: Supervisor, tap: Invocation, workdir: Path) -> Path:
    """Discover (keeping it in the cache), narrow, and write the catalog for ``tap``."""
    discovered = discover(supervisor, tap, workdir)
    CatalogCache(tap.cwd).put(tap, discovered)
    catalog = narrow(discovered, tap.plugin, supervisor)
    path = workdir / f"{tap.name}.catalog.json"
    write_private(path, orjson.dumps(catalog.to_dict()))
    return path


def discover(supervisor: Supervisor, tap: Invocation, workdir: Path) -> Catalog:
    """Run ``<tap> --config C --discover`` and read the catalog it prints."""
    output = workdir / f"{tap.name}.discovered.json"
    descriptor = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
    try:
        process = supervisor.start(
            tap, tap.argv("--discover"), stdin=subprocess.DEVNULL, stdout=descriptor
        )
    finally:
        os.close(descriptor)
    code = process.finish()
    if code == 0:
        process.release_errors()
    else:
        errors = process.errors()
        tail = "".join(f"\n  {line}" for line in process.tail())
        if errors:
            detail = f": {'; '.join(errors)}"
        else:
            detail = f"; the last lines of its stderr:{tail}" if tail else ""
        raise PluginError(
            f"discovery (--discover) {describe_exit(code)}{detail}"
            + f"\nFull log: {supervisor.log.path}",
            where=tap.name,
            returncode=code,
        )
    where = f"{tap.name} --discover output"
    try:
        document = orjson.loads(output.read_bytes())
    except orjson.JSONDecodeError as error:
        raise ProtocolError(
            f"not a JSON catalog ({error})",
            where=where,
            hint="A tap run with --discover prints one JSON catalog on stdout, logs on stderr",
        ) from None
    if not isinstance(document, dict):
        raise ProtocolError('expected a JSON object with "streams"', where=where)
    return Catalog.from_dict(document, where=where)


def narrow(catalog: Catalog, plugin: Plugin, supervisor: Supervisor) -> Catalog:
    """Apply the plugin's ``select`` rules and ``metadata``; warn about unused patterns."""
    if plugin.select:
        catalog = apply_selection(catalog, plugin.select)
        if not catalog.selected_streams():
            streams = ", ".join(e.tap_stream_id for e in catalog.streams) or "none"
            raise ConfigError(
                f"the select rules {list(plugin.select)} match no stream (the tap offers: "
                f"{streams})",
                where=f"{plugin.path}.select",
                hint="Fix the rules; a stream id comes before the first dot, e.g. users.*",
            )
    catalog, unused = apply_metadata(catalog, plugin.metadata)
    for pattern in unused:
        supervisor.log.write(
            "elt",
            f"metadata for {pattern!r} in {plugin.path} matches no stream of {plugin.name}",
            logging.WARNING,
        )
    return catalog


def apply_metadata(
    catalog: Catalog, overrides: Mapping[str, Mapping[str, Any]]
) -> tuple[Catalog, list[str]]:
    """A copy of ``catalog`` with ``overrides`` set on matching streams; unused patterns."""
    result = copy.deepcopy(catalog)
    unused: list[str] = []
    for pattern, values in overrides.items():
        matched = [e for e in result.streams if fnmatchcase(e.tap_stream_id, pattern)]
        if not matched:
            unused.append(pattern)
        for entry in matched:
            entry.metadata.setdefault((), {}).update(values)
            for key, attribute in _ENTRY_FIELDS.items():
                if key in values:
                    setattr(entry, attribute, values[key])
    return result, unused
