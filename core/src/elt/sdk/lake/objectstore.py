"""What the cloud object stores (target-s3, -gcs, -azure) share: safe keys and fixed-size parts.

Each store implements :class:`elt.sdk.lake.store.ObjectStore` on its own client; the pieces
that are the same whatever the client live here, so the three cannot drift apart:

- :func:`store_prefix` and :func:`object_key` keep every key under the configured prefix. The
  lake writer sanitises stream names already; the store checks again (defence in depth) and
  refuses, before any request, a key that is absolute or walks out with ``..``.
- :class:`PartBuffer` cuts a stream of writes of any size into parts of one size, as S3
  multipart uploads and Azure staged blocks want, holding at most one part plus one write.
- :func:`guarded_call` runs one client request and turns whatever it raises into an elt
  error through the store's own ``explain``: a :class:`~elt.cloudfailures.Failure` saying
  what the client said, what to change, and which class of :mod:`elt.errors` it is. The
  three cloud stores explain through :mod:`elt.cloudfailures`, the one translation of
  S3, GCS and Azure failures the state backends share; target-files sorts its OSErrors.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

from elt.cloudfailures import Failure
from elt.errors import ConfigError, EltError

__all__ = [
    "Explain",
    "PartBuffer",
    "client_failure",
    "described_key",
    "guarded_call",
    "listing_prefix",
    "object_key",
    "relative_key",
    "store_prefix",
]

T = TypeVar("T")

# a client's exception -> what it means
Explain = Callable[[Exception], Failure]


def _bad_segments(path: str) -> list[str]:
    return [s for s in path.split("/") if s in ("", ".", "..")]


def store_prefix(prefix: str | None, *, setting: str = "prefix") -> str:
    """The key prefix a store writes under: ``a/b`` for ``/a/b/``, ``""`` for none.

    Leading and trailing slashes are dropped (``s3://bucket/a/`` and ``a`` mean the same
    folder); ``.``/``..`` or empty segments in the middle are a configuration error.
    """
    cleaned = (prefix or "").strip("/")
    if cleaned and (_bad_segments(cleaned) or "\\" in cleaned):
        raise ConfigError(
            f"the `{setting}` setting {prefix!r} has an empty, '.' or '..' path segment or a "
            "backslash",
            hint="use a plain folder path such as `raw/sales`",
        )
    return cleaned


def object_key(prefix: str, key: str) -> str:
    """The full object key for ``key`` under ``prefix``; refuses keys that could escape it."""
    if not key or key.startswith("/") or "\\" in key or _bad_segments(key):
        raise ConfigError(
            f"refusing the object key {key!r}: it is empty, absolute, contains a backslash, "
            "or has an empty, '.' or '..' path segment, so it could land outside the prefix",
            hint="check the path template and stream names; keys are relative paths",
        )
    return f"{prefix}/{key}" if prefix else key


def described_key(prefix: str, key: str) -> str:
    """The key to show in a message for ``key``: ``""`` is the store's root, the prefix.

    Messages name folders as well as objects (the target's start-up line names where its
    files go, which is the bucket's root when ``prefix`` is left at its default ``""``).
    """
    return object_key(prefix, key) if key else prefix


def listing_prefix(prefix: str, under: str) -> str:
    """The full key prefix to list for ``under`` (a string prefix relative to the store root).

    The store's own prefix is matched as a folder (``raw/`` never lists ``raw-old/``).
    """
    if under.startswith("/") or ".." in under.split("/"):
        raise ConfigError(
            f"refusing to list {under!r}: a listing prefix is relative and has no '..' segment"
        )
    return f"{prefix}/{under}" if prefix else under


def relative_key(prefix: str, full_key: str) -> str:
    """``full_key`` as the writer named it, without the store's prefix."""
    return full_key[len(prefix) + 1 :] if prefix else full_key


def client_failure(
    exc: Exception, explain: Explain, *, where: str, doing: str, secrets: Iterable[str | None] = ()
) -> EltError:
    """The error to raise for ``exc``, which happened while ``doing`` something to ``where``."""
    return explain(exc).error_for(doing, where, secrets)


def guarded_call(
    request: Callable[[], T],
    explain: Explain,
    *,
    where: str,
    doing: str,
    secrets: Iterable[str | None] = (),
) -> T:
    """Run one client request; any failure becomes :func:`client_failure`'s error."""
    try:
        return request()
    except Exception as exc:
        raise client_failure(exc, explain, where=where, doing=doing, secrets=secrets) from exc


class PartBuffer:
    """Bytes written in pieces of any size, handed out again as parts of exactly ``size``.

    Memory holds at most one part plus the last write; the final, shorter part comes from
    :meth:`rest` when the object is committed.
    """

    def __init__(self, size: int) -> None:
        if size <= 0:
            raise ValueError(f"part size must be positive, not {size}")
        self.size = size
        self._data = bytearray()

    def __len__(self) -> int:
        return len(self._data)

    def add(self, data: bytes) -> Iterator[bytes]:
        """Append ``data``; yield each part that is now full."""
        self._data += data
        start = 0
        while len(self._data) - start >= self.size:
            yield bytes(self._data[start : start + self.size])
            start += self.size
        if start:
            del self._data[:start]

    def rest(self) -> bytes:
        """Everything not yet handed out (shorter than a part), emptying the buffer."""
        data = bytes(self._data)
        self._data.clear()
        return data
