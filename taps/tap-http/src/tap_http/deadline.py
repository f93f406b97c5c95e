"""A deadline on a whole HTTP exchange — connection, headers and body — not on each read.

requests' ``timeout`` bounds each socket operation, so a server sending one byte a second
never trips it and holds the tap forever. Here one :class:`Watchdog` thread per process keeps
the deadline of the exchange in flight and, when it passes, shuts the exchange's socket
down: the read blocked on it returns at once, the request fails, and
:attr:`Exchange.expired` tells the transport why.

urllib3 hands every request's connection to ``HTTPConnectionPool._make_request``; the pools
:class:`WatchedAdapter` installs record it there for the current thread's exchange. The
exchange stays armed while the body is read. Arming costs a lock and, only when the new
deadline is earlier than the one the watchdog sleeps towards, a wake-up: nothing per record.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any, Final

from requests.adapters import HTTPAdapter
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

__all__ = ["WATCHDOG", "Exchange", "Watchdog", "WatchedAdapter"]

# How often the watchdog looks again for an expired exchange whose socket is not open yet.
_RECHECK: Final = 0.05

_current = threading.local()


class Exchange:
    """One request and its response, and the moment they must be done by."""

    def __init__(self, deadline: float) -> None:
        self.deadline = deadline
        self.expired = False
        self._connection: Any = None

    def watch(self, connection: Any) -> None:
        """Note the connection this exchange uses (urllib3 calls in via the pools)."""
        self._connection = connection

    def cut(self) -> bool:
        """Shut the exchange's socket down; False when it has no socket yet."""
        sock = getattr(self._connection, "sock", None)
        if sock is None:
            return False
        # socket.socket's shutdown, not SSLSocket's, which would drop the TLS state under
        # the thread reading it; the read then fails as on a dead peer.
        with suppress(OSError):
            socket.socket.shutdown(sock, socket.SHUT_RDWR)
        return True


class Watchdog:
    """Cuts exchanges that outlive their deadline; one thread, started on first use."""

    def __init__(self) -> None:
        self._armed: set[Exchange] = set()
        self._condition = threading.Condition()
        self._wakes_at = float("inf")
        self._thread: threading.Thread | None = None

    @contextmanager
    def limit(self, seconds: float) -> Iterator[Exchange]:
        """An exchange the current thread runs within ``seconds`` from now."""
        exchange = Exchange(time.monotonic() + seconds)
        outer = getattr(_current, "exchange", None)
        _current.exchange = exchange
        with self._condition:
            self._armed.add(exchange)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="http-deadline", daemon=True)
                self._thread.start()
            if exchange.deadline < self._wakes_at:
                self._condition.notify()
        try:
            yield exchange
        finally:
            with self._condition:
                self._armed.discard(exchange)
            _current.exchange = outer

    def _run(self) -> None:
        with self._condition:
            while True:
                now = time.monotonic()
                pending = float("inf")
                for exchange in list(self._armed):
                    if exchange.deadline <= now:
                        exchange.expired = True
                        if exchange.cut():
                            self._armed.discard(exchange)
                        else:
                            pending = min(pending, now + _RECHECK)
                    else:
                        pending = min(pending, exchange.deadline)
                self._wakes_at = pending
                self._condition.wait(None if pending == float("inf") else pending - now)


#: the process's one watchdog, shared by every transport (it sleeps between deadlines)
WATCHDOG: Final = Watchdog()


def _watched(pool: type[HTTPConnectionPool]) -> type[HTTPConnectionPool]:
    class Watched(pool):  # type: ignore[valid-type,misc]
        def _make_request(self, conn: Any, *args: Any, **kwargs: Any) -> Any:
            exchange = getattr(_current, "exchange", None)
            if exchange is not None:
                exchange.watch(conn)
            return super()._make_request(conn, *args, **kwargs)

    Watched.__name__ = f"Watched{pool.__name__}"
    return Watched


_POOLS: Final = {"http": _watched(HTTPConnectionPool), "https": _watched(HTTPSConnectionPool)}


class WatchedAdapter(HTTPAdapter):
    """requests' adapter with pools that tell the current :class:`Exchange` their
    connection, directly or through a proxy."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = _POOLS

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        manager.pool_classes_by_scheme = _POOLS
        return manager
