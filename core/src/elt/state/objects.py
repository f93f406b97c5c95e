"""State in an object store (S3, GCS, Azure Blob): one object per state id, one lock object.

``<prefix>/<id>.json`` holds the plain Singer state, the same document the local store
keeps in a file, so it can be read with the store's own tools. It is written with one PUT
of the whole document: object stores make a single PUT atomic (a reader sees the old
object or the new one, never part of one), so a write cut short leaves the previous
bookmark. ``<prefix>/<id>.lock`` holds a :class:`~elt.state.lease.LockRecord` while a run
holds the id; see :mod:`elt.state.lease` for the lease and :class:`Bucket` for the
conditional writes that make taking it safe between machines.

The three services differ only in their client calls, which live in :mod:`elt.state.s3`,
:mod:`elt.state.gcs` and :mod:`elt.state.azure` behind the small :class:`Bucket` protocol.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any, ParamSpec, Protocol, TypeVar

from elt.errors import EltError, UsageError
from elt.state.document import decode_stored, encode_state
from elt.state.ids import state_id_filename, state_id_from_filename
from elt.state.lease import (
    DEFAULT_LEASE_SECONDS,
    LeaseKeeper,
    LockRecord,
    locked_error,
    taking_over,
)

__all__ = ["Bucket", "ObjectStateStore"]

_STATE_SUFFIX = ".json"
_LOCK_SUFFIX = ".lock"
_ATTEMPTS = 3
_log = logging.getLogger(__name__)
_T = TypeVar("_T")
_P = ParamSpec("_P")


class Bucket(Protocol):
    """A bucket (or container) under a key prefix, with the writes a lease needs.

    Keys are relative to the prefix. ``version`` is what the service compares in a
    conditional request: an ETag (S3, Azure) or a generation (GCS). Each method raises an
    error naming the object when the service fails or refuses, explained as the lake targets
    explain it (:mod:`elt.cloudfailures`): ServiceError when a retry may help, AccessError
    (a missing bucket, refused credentials) when a person must act.
    """

    def describe(self, key: str) -> str:
        """The object's URL for messages, with no credential in it."""
        ...

    def read(self, key: str) -> tuple[bytes, str] | None:
        """The object's bytes and version; None when it does not exist."""
        ...

    def write(self, key: str, data: bytes) -> None:
        """Replace the object with one PUT of ``data``."""
        ...

    def create(self, key: str, data: bytes) -> str | None:
        """Create the object only if there is none; its version, or None if one exists."""
        ...

    def replace(self, key: str, data: bytes, version: str) -> str | None:
        """Replace the object only if it is still at ``version``; the new version or None."""
        ...

    def delete(self, key: str, version: str | None = None) -> bool:
        """Delete the object (only if still at ``version``, if given); False if it was not."""
        ...

    def keys(self) -> list[str]:
        """Every key under the prefix."""
        ...

    def close(self) -> None:
        """Release the client's connections."""
        ...


class ObjectStateStore:
    """A :class:`~elt.state.store.StateStore` on a :class:`Bucket`."""

    def __init__(self, bucket: Bucket, *, lease_seconds: float = DEFAULT_LEASE_SECONDS) -> None:
        self.bucket = bucket
        self.lease_seconds = lease_seconds
        # the lease keeper's thread shares the client with the run's thread
        self._mutex = threading.Lock()

    def _call(self, method: Callable[_P, _T], *args: _P.args, **kwargs: _P.kwargs) -> _T:
        with self._mutex:
            return method(*args, **kwargs)

    def get(self, state_id: str) -> dict[str, Any] | None:
        key = _key(state_id, _STATE_SUFFIX)
        found = self._call(self.bucket.read, key)
        if found is None:
            return None
        return decode_stored(found[0], state_id=state_id, where=self.bucket.describe(key))

    def set(self, state_id: str, state: Mapping[str, Any]) -> None:
        key = _key(state_id, _STATE_SUFFIX)
        try:
            data = encode_state(state)
        except ValueError as error:
            raise UsageError(f"the state of {state_id!r} is not JSON: {error}") from None
        self._call(self.bucket.write, key, data)

    def clear(self, state_id: str) -> bool:
        key = _key(state_id, _STATE_SUFFIX)
        return self._call(self.bucket.delete, key)

    def list(self, pattern: str = "*") -> tuple[str, ...]:
        ids = (
            state_id_from_filename(key[: -len(_STATE_SUFFIX)])
            for key in self._call(self.bucket.keys)
            if key.endswith(_STATE_SUFFIX) and "/" not in key
        )
        return tuple(sorted(i for i in ids if fnmatchcase(i, pattern)))

    def close(self) -> None:
        self.bucket.close()

    @contextlib.contextmanager
    def lock(self, state_id: str, *, holder: str, force: bool = False) -> Iterator[None]:
        key = _key(state_id, _LOCK_SUFFIX)
        where = self.bucket.describe(key)
        record = LockRecord.new(holder, self.lease_seconds)
        held = _Held(record, self._acquire(state_id, key, record, force=force))

        def renew() -> bool:
            if not self._still_ours(key, held):
                return False
            renewed = held.record.renewed(self.lease_seconds)
            new_version = self._call(self.bucket.replace, key, renewed.encode(), held.version)
            if new_version is None:
                return False
            held.record, held.version = renewed, new_version
            return True

        try:
            with LeaseKeeper(renew, interval=self.lease_seconds / 3, what=repr(state_id)):
                yield
        finally:
            try:
                if self._still_ours(key, held):
                    self._call(self.bucket.delete, key, held.version)
            except EltError as error:
                _log.warning(
                    "could not release the lock %s (it expires by itself): %s", where, error
                )

    def _still_ours(self, key: str, held: _Held) -> bool:
        """Whether the lock object still carries our token.

        Renewal and release are conditional writes already; reading first also keeps a
        service that ignores preconditions (an emulator) from freeing a successor's lock,
        and costs one GET per renewal.
        """
        found = self._call(self.bucket.read, key)
        record = None if found is None else LockRecord.decode(found[0])
        return record is not None and record.token == held.record.token

    def _acquire(self, state_id: str, key: str, record: LockRecord, *, force: bool) -> str:
        """Create the lock object, or take over an expired (or, forced, any) one.

        Both are conditional writes, so of several runs racing for the id exactly one wins;
        a loser reads the winner's record again and refuses, naming it.
        """
        data = record.encode()
        for _ in range(_ATTEMPTS):
            found = self._call(self.bucket.read, key)
            if found is None:
                version = self._call(self.bucket.create, key, data)
            else:
                existing = LockRecord.decode(found[0])
                live = existing is not None and not existing.expired()
                if live and not force:
                    raise locked_error(state_id, existing)
                taking_over(state_id, existing, force=live, where=self.bucket.describe(key))
                version = self._call(self.bucket.replace, key, data, found[1])
            if version is not None:
                return version
        found = self._call(self.bucket.read, key)
        raise locked_error(state_id, LockRecord.decode(found[0]) if found else None)


@dataclass
class _Held:
    """The lock record as last written, and the version the service gave it."""

    record: LockRecord
    version: str


def _key(state_id: str, suffix: str) -> str:
    return state_id_filename(state_id) + suffix
