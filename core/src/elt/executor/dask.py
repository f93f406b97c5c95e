"""The Dask executor: each unit of a run is one task on a Dask cluster's workers.

**The coordinator's side** (:class:`DaskExecutor`) connects a ``distributed.Client`` to the
scheduler (``tcp://`` or ``tls://``), submits one task per unit (``pure=False``, keyed by the
unit and the run, so two runs of one unit never share a result) and hands each result to the
coordinator as it arrives (``as_completed``). A unit that fails does not stop the others:
what they commit is kept, and the first failure is raised once all have ended. An
interrupted coordinator cancels the units not started; Dask cannot stop a running task, so
those finish on their workers, and the next run redoes them (our targets' unit ledgers see
them done and load nothing twice).

**A worker that dies mid-unit**: the scheduler reruns the task on another worker, up to its
``distributed.scheduler.allowed-failures`` (3 by default, the scheduler's own setting);
beyond that the unit fails with a ServiceError (75: a rerun of elt may succeed). The unit's
plugins die with their worker (:mod:`elt.run.orphans`), and each attempt tells its target
its number in :attr:`~elt.protocol.partitions.UnitIdentity.attempt`, counted on the
scheduler (its task metadata, under :data:`ATTEMPTS`), with the same unit id, so our
targets load a unit once whatever the number of attempts.

**The worker's side**: a worker needs only ``elt-core[dask]``. The client registers
:class:`UnitWorker` on every worker (a WorkerPlugin), or a worker loads it itself with
``dask worker ADDRESS --preload elt.executor.dask`` (:func:`dask_setup`). Each unit's task
opens the unit's project in the worker's cache and installs its plugins there
(:mod:`elt.executor.workdir`), then runs it as a local run would
(:func:`elt.run.units.run_unit`).

**TLS**: ``ELT_DASK_TLS_CA_FILE``, ``ELT_DASK_TLS_CERT`` and ``ELT_DASK_TLS_KEY`` name the
PEM files of the client's certificate and of the CA that signed the cluster's (the files of
``dask scheduler --tls-ca-file/--tls-cert/--tls-key``), or a ``distributed.Security`` is
passed in. A scheduler that cannot be reached is a ServiceError (75) naming its address; a
TLS handshake the scheduler refuses, or missing credentials, an AccessError (78). A unit
carries its plugins' resolved configs, secrets included: over ``tcp://`` to another host
they cross the network in clear, which the executor warns about.
"""

from __future__ import annotations

import copy
import ipaddress
import logging
import os
import ssl
import threading
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from distributed import Client, KilledWorker, Security, Worker, as_completed, get_client, get_worker
from distributed.diagnostics.plugin import WorkerPlugin

from elt.errors import AccessError, ConfigError, EltError, PluginError, ServiceError
from elt.executor.workdir import WorkerCache
from elt.run.units import UnitResult, UnitSpec, run_unit

if TYPE_CHECKING:
    from distributed import Future

__all__ = [
    "ATTEMPTS",
    "PLUGIN_NAME",
    "TLS_ENV",
    "DaskExecutor",
    "UnitWorker",
    "dask_setup",
    "run_unit_task",
    "security_from_environ",
]

log = logging.getLogger(__name__)

PLUGIN_NAME = "elt-units"
ATTEMPTS = "elt-unit-attempts"
#: the client's TLS files: the CA, the client's certificate and its private key
TLS_ENV = ("ELT_DASK_TLS_CA_FILE", "ELT_DASK_TLS_CERT", "ELT_DASK_TLS_KEY")
DEFAULT_CONNECT_TIMEOUT = 10.0


class DaskExecutor:
    """Runs units on the Dask cluster whose scheduler is at ``address``."""

    def __init__(
        self,
        address: str,
        security: Security | None = None,
        *,
        connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
    ) -> None:
        self.address = address
        self.security = security if security is not None else security_from_environ(os.environ)
        self.connect_timeout = connect_timeout
        self._cancel: Callable[[], None] | None = None

    def run_units(self, specs: Sequence[UnitSpec], on_result: Callable[[UnitResult], None]) -> None:
        """Run every unit, calling ``on_result`` as each finishes; raise the first unit's
        failure after the others ended. On an interruption (or an ``on_result`` that
        raises) the units still running are cancelled."""
        if not specs:
            return
        client = self.connect()
        run = uuid.uuid4().hex[:12]
        try:
            client.register_plugin(UnitWorker(), name=PLUGIN_NAME)
            futures: dict[Future[Any], UnitSpec] = {
                client.submit(run_unit_task, spec, key=_key(spec, run), pure=False): spec
                for spec in specs
            }
            self._cancel = lambda: client.cancel(list(futures), force=True)
            try:
                first = _collect(client, futures, on_result)
            except BaseException:
                client.cancel(list(futures), force=True)
                raise
            if first is not None:
                raise first
        finally:
            self._cancel = None
            _forget_attempts(client, run)
            client.close()

    def interrupt(self, signal_number: int) -> None:
        """Cancel the run's units (a thread does it: the client takes locks a signal handler
        must not). A unit already running on a worker finishes there; the unit ledgers of
        elt's targets keep its rerun from loading it twice."""
        cancel = self._cancel
        if cancel is not None:
            threading.Thread(target=cancel, name="cancel units", daemon=True).start()

    def connect(self) -> Client:
        """A client of the scheduler; ServiceError (75) when it cannot be reached in
        ``connect_timeout`` seconds, AccessError (78) when TLS is refused or missing."""
        if self.address.startswith("tls://") and self.security is None:
            raise AccessError(
                f"the Dask scheduler {self.address} speaks TLS and no client certificate was given",
                hint=f"Set {', '.join(TLS_ENV)} to the PEM files of the CA, the client's "
                "certificate and its key",
            )
        if self.address.startswith("tcp://") and not _loopback(self.address):
            log.warning(
                "units carry their plugins' secrets, and tcp:// sends them to %s unencrypted; "
                "use a tls:// scheduler on a network you do not trust",
                self.address,
            )
        try:
            return Client(
                self.address,
                security=self.security,
                timeout=self.connect_timeout,
                set_as_default=False,
            )
        except ssl.SSLError as error:
            raise _refused(self.address, error) from None
        except (OSError, TimeoutError) as error:
            if isinstance(error.__cause__ or error.__context__, ssl.SSLError):
                raise _refused(self.address, error) from None
            raise ServiceError(
                f"cannot reach the Dask scheduler at {self.address} within "
                f"{self.connect_timeout:g} s: {error}",
                hint="Check the address and that `dask scheduler` runs there; a later "
                "attempt may succeed",
            ) from None


def security_from_environ(environ: Mapping[str, str]) -> Security | None:
    """The client's TLS credentials from :data:`TLS_ENV`; None when none is set.

    Raises AccessError (78) when only some are set or a file cannot be read.
    """
    values = {name: environ.get(name, "") for name in TLS_ENV}
    if not any(values.values()):
        return None
    missing = [name for name, value in values.items() if not value]
    if missing:
        set_ones = [name for name in TLS_ENV if name not in missing]
        raise AccessError(
            f"{', '.join(missing)} not set, though {', '.join(set_ones)} is",
            hint="A TLS connection to the Dask scheduler needs all three files",
        )
    for name, value in values.items():
        if not os.access(value, os.R_OK) or not Path(value).is_file():
            raise AccessError(f"{name} names {value}, which is not a readable file")
    ca, cert, key = (values[name] for name in TLS_ENV)
    return Security(
        tls_ca_file=ca, tls_client_cert=cert, tls_client_key=key, require_encryption=True
    )


class UnitWorker(WorkerPlugin):
    """What a worker keeps for the units it runs: its cache (:data:`~elt.executor.workdir.CACHE_ENV`
    of the worker's environment, read on the worker)."""

    idempotent = True
    name = PLUGIN_NAME

    def __init__(self) -> None:
        self.cache: WorkerCache | None = None

    def setup(self, worker: Worker) -> None:
        self.cache = WorkerCache.from_environ(os.environ)
        self.cache.root.mkdir(parents=True, exist_ok=True, mode=0o700)
        log.info("elt units of %s are kept in %s", worker.address, self.cache.root)


async def dask_setup(service: object) -> None:
    """``--preload elt.executor.dask``: a worker registers :class:`UnitWorker` as it starts
    (anything else preloading the module gets nothing)."""
    if isinstance(service, Worker):
        await service.plugin_add(UnitWorker(), name=PLUGIN_NAME)


def run_unit_task(spec: UnitSpec) -> UnitResult:
    """The task of one unit, on a worker: its project, its plugins, then the unit itself."""
    worker = get_worker()
    plugin = worker.plugins.get(PLUGIN_NAME)
    cache = plugin.cache if isinstance(plugin, UnitWorker) and plugin.cache else None
    cache = cache or WorkerCache.from_environ(os.environ)
    spec = replace(spec, unit=replace(spec.unit, attempt=_attempt(worker.get_current_task())))
    try:
        project = cache.project(spec.manifest)
        cache.install(project, spec.plugins, environment=spec.environment)
        return run_unit(project, spec, worker=worker.address)
    except EltError as error:
        raise _on_worker(error, spec, worker.address) from None


def _collect(
    client: Client,
    futures: Mapping[Future[Any], UnitSpec],
    on_result: Callable[[UnitResult], None],
) -> EltError | None:
    """Hand each unit's result to ``on_result`` as it arrives; the first failure, if any."""
    first: EltError | None = None
    for future in as_completed(futures, loop=client.loop):
        spec = futures[future]
        if future.status == "finished":
            on_result(future.result())
            continue
        error = _unit_error(future, spec)
        log.error("%s", error)
        first = first or error
    return first


def _unit_error(future: Future[Any], spec: UnitSpec) -> EltError:
    """The EltError a failed or cancelled task stands for."""
    label = _label(spec)
    if future.status == "cancelled":
        return ServiceError(
            f"{label} was cancelled: the Dask scheduler lost it or the connection to it",
            hint="Run again; the units that committed are kept",
        )
    error = future.exception()
    if isinstance(error, EltError):
        return error
    if isinstance(error, KilledWorker):
        return ServiceError(
            f"{label}: every worker that ran it died ({error.allowed_failures + 1} "
            "attempts, the scheduler's distributed.scheduler.allowed-failures + 1)",
            hint="Check the workers' memory and logs; a later run may succeed",
        )
    if isinstance(error, ModuleNotFoundError):
        return ConfigError(
            f"{label}: a worker cannot run elt units: {error}",
            hint="Install elt-core[dask] (at the coordinator's version) on every worker",
        )
    return PluginError(f"{label} failed on its worker: {type(error).__name__}: {error}")


def _attempt(key: object) -> int:
    """Which attempt of its task this is: the scheduler counts them in its task metadata
    (no attempt runs beside another, so the read and the write do not race)."""
    client = get_client()
    path = [ATTEMPTS, *_split_key(key)]
    done = int(client.get_metadata(path, default=0))
    client.set_metadata(path, done + 1)
    return done + 1


def _forget_attempts(client: Client, run: str) -> None:
    """Drop the run's attempt counters from the scheduler (best effort: it may be gone)."""
    try:
        client.set_metadata([ATTEMPTS, run], None)
    except (OSError, TimeoutError) as error:
        log.debug("could not clear the attempt counters of run %s: %s", run, error)


def _key(spec: UnitSpec, run: str) -> str:
    """``elt-<run>-<unit id>``: a key names its unit, and never another run's task."""
    return f"elt-{run}-{spec.unit.id}"


def _split_key(key: object) -> list[str]:
    """``[run, unit id]`` of a key made by :func:`_key`."""
    _, run, unit = str(key).split("-", 2)
    return [run, unit]


def _label(spec: UnitSpec) -> str:
    """``unit orders[p0003] (u…)``, as :func:`elt.run.units.run_unit` names a unit."""
    return f"unit {spec.name} ({spec.unit.id})"


def _on_worker(error: EltError, spec: UnitSpec, address: str) -> EltError:
    """A copy of ``error`` that names the unit and its worker first (the full log it
    points to is on that worker)."""
    unit = _label(spec)
    rest = (error.where or "").removeprefix(unit).lstrip(", ")
    located = copy.copy(error)
    located.where = f"{unit} on {address}" + (f", {rest}" if rest else "")
    return located


def _loopback(address: str) -> bool:
    """Whether ``tcp://HOST:PORT`` names this machine."""
    host = urlsplit(address).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _refused(address: str, error: BaseException) -> AccessError:
    return AccessError(
        f"the Dask scheduler at {address} refused the TLS connection: {error}",
        hint="Check ELT_DASK_TLS_CA_FILE, ELT_DASK_TLS_CERT and ELT_DASK_TLS_KEY: the CA "
        "must be the one that signed the cluster's certificates, and the client's "
        "certificate one it accepts",
    )
