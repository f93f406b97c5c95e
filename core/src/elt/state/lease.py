"""Run locks that outlive nobody: who holds a state id, until when, and the renewing thread.

A local lock dies with its process (``flock``). A remote one cannot: a run killed by
SIGKILL or a lost machine leaves its lock object or row behind. So a remote lock is a
*lease*: a :class:`LockRecord` with an expiry, written with a conditional create, that
the holder renews from a background thread (:class:`LeaseKeeper`) every third of the
lease. A record past its expiry belongs to a dead run and may be taken over (again
conditionally, so two runs racing for it cannot both win). Expiry is judged on the
clocks of the machines involved, which must agree to well within the lease (NTP does).

The record is also what the next comer is told: which run, on which host, since when.
"""

from __future__ import annotations

import json
import logging
import secrets
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from elt.errors import EltError, UsageError

__all__ = [
    "DEFAULT_LEASE_SECONDS",
    "LeaseKeeper",
    "LockRecord",
    "locked_error",
    "taking_over",
]

DEFAULT_LEASE_SECONDS = 60.0
_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LockRecord:
    """Who holds a lock: ``holder`` as the caller describes itself, plus where and since when.

    ``token`` is random per acquisition: renewal and release act only on a record that
    still carries it, so a holder that lost its lock never frees its successor's.
    """

    holder: str
    host: str
    token: str
    since: datetime
    expires: datetime | None = None

    @classmethod
    def new(cls, holder: str, lease_seconds: float | None) -> LockRecord:
        """A record for this process, valid for ``lease_seconds`` (None: until released)."""
        now = datetime.now(UTC)
        expires = None if lease_seconds is None else now + timedelta(seconds=lease_seconds)
        return cls(holder, socket.gethostname(), secrets.token_hex(8), now, expires)

    def renewed(self, lease_seconds: float) -> LockRecord:
        """The same record with its lease extended from now."""
        expires = datetime.now(UTC) + timedelta(seconds=lease_seconds)
        return LockRecord(self.holder, self.host, self.token, self.since, expires)

    def expired(self) -> bool:
        return self.expires is not None and self.expires <= datetime.now(UTC)

    def encode(self) -> bytes:
        document = {
            "holder": self.holder,
            "host": self.host,
            "token": self.token,
            "since": self.since.isoformat(),
            "expires": None if self.expires is None else self.expires.isoformat(),
        }
        return json.dumps(document, ensure_ascii=False).encode()

    @classmethod
    def decode(cls, data: bytes) -> LockRecord | None:
        """The record in ``data``; None when it is not one (then it protects nothing)."""
        try:
            document = json.loads(data.decode("utf-8"))
            expires = document["expires"]
            return cls(
                str(document["holder"]),
                str(document["host"]),
                str(document["token"]),
                datetime.fromisoformat(document["since"]),
                None if expires is None else datetime.fromisoformat(expires),
            )
        except (ValueError, KeyError, TypeError):
            return None

    def describe(self) -> str:
        """``run X (pid 42) on host h since 2025-01-01T12:00:00Z, lease until ...``."""
        text = f"{self.holder} on host {self.host} since {_moment(self.since)}"
        if self.expires is not None:
            left = (self.expires - datetime.now(UTC)).total_seconds()
            text += f" (its lease expires in {max(left, 0):.0f} s unless renewed)"
        return text


def locked_error(state_id: str, record: LockRecord | None) -> UsageError:
    """The error for a second comer: who holds ``state_id``, and what to do about it."""
    who = record.describe() if record is not None else "another run"
    hint = (
        "Two runs of one pipeline would interleave their bookmarks; wait for that one to "
        "finish, or give this run its own --state-id"
    )
    if record is not None and record.expires is not None:
        hint += "; if it died, its lock expires by itself when the lease runs out"
    return UsageError(
        f"state {state_id!r} is in use by {who}",
        hint=hint + ". --force takes the lock anyway, at the risk of mixed bookmarks",
    )


def taking_over(state_id: str, record: LockRecord | None, *, force: bool, where: str) -> None:
    """Log that a lock is being taken from someone: forced (a warning) or expired (info)."""
    who = record.describe() if record is not None else "an unreadable lock"
    if force:
        _log.warning(
            "--force: taking the lock of %r from %s (%s); if that run is alive, the two "
            "runs' bookmarks may interleave",
            state_id,
            who,
            where,
        )
    else:
        _log.info("taking over the expired lock of %r from %s (%s)", state_id, who, where)


class LeaseKeeper:
    """Renews a lease every ``interval`` seconds from a daemon thread until stopped.

    ``renew`` returns False once the lock is no longer ours (taken over with --force, or
    after our renewals failed for a whole lease): that is logged as an error and the keeper
    stops. A renewal that fails (the service is briefly unreachable) is logged and retried
    at the next tick, while the lease still runs.
    """

    def __init__(self, renew: Callable[[], bool], *, interval: float, what: str) -> None:
        self._renew = renew
        self._interval = interval
        self._what = what
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=f"lease {what}", daemon=True)

    def __enter__(self) -> LeaseKeeper:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stopped.set()
        self._thread.join()

    def _loop(self) -> None:
        while not self._stopped.wait(self._interval):
            try:
                if not self._renew():
                    _log.error(
                        "lost the lock of %s to another run; bookmarks may interleave", self._what
                    )
                    return
            # whatever a renewal raises, the thread must live on and retry while the lease
            # runs: a dead keeper would let the lease lapse under a live run
            except Exception as error:
                # an EltError's text is vetted; another's might quote a URL with a secret
                what = error if isinstance(error, EltError) else type(error).__name__
                _log.warning("could not renew the lock of %s, retrying: %s", self._what, what)


def _moment(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
