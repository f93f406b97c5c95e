"""What the cloud object stores (target-s3, -gcs, -azure) share: safe keys and fixed-size parts.

Each store implements :class:`elt.sdk.lake.store.ObjectStore` on its own client; the pieces
that are the same whatever the client live here, so the three cannot drift apart:

- :func:`store_prefix` and :func:`object_key` keep every key under the configured prefix. The
  lake writer sanitises stream names already; the store checks again (defence in depth) and
  refuses, before any request, a key that is absolute or walks out with ``..``.
- :class:`PartBuffer` cuts a stream of writes of any size into parts of one size, as S3
  multipart uploads and Azure staged blocks want, holding at most one part plus one write.
- :func:`redact` takes secrets out of a client's error text before it reaches a message;
  :func:`guarded_call` runs one client request and turns whatever it raises into an elt
  error through the store's own ``explain``: a :class:`Failure` saying what the client said,
  what to change, and which class of :mod:`elt.errors` it is — the one place a store's
  failures are sorted into "a retry may help" (:class:`ServiceError`, exit 75:
  unreachable, timeouts, 5xx, throttling) and "a person must act" (:class:`AccessError`,
  exit 78: refused or missing credentials, access denied, a missing bucket or container).
  HTTP statuses are sorted by :func:`elt.errors.http_status_error`, as every client of
  elt's sorts them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import TypeVar

from elt.errors import AccessError, ConfigError, EltError, ServiceError, http_status_error

__all__ = [
    "Explain",
    "Failure",
    "PartBuffer",
    "client_failure",
    "described_key",
    "guarded_call",
    "listing_prefix",
    "object_key",
    "redact",
    "relative_key",
    "store_prefix",
]

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Failure:
    """What a client's exception means to a person: what happened, what to do, and the
    class of error it is (whether ``elt run --retries`` should try again)."""

    message: str
    hint: str
    error: type[EltError] = ServiceError

    @classmethod
    def of_status(cls, status: int, message: str, hint: str) -> Failure:
        """A failed HTTP response, classed by :func:`elt.errors.http_status_error`."""
        return cls(message, hint, http_status_error(status))

    @classmethod
    def refused(cls, message: str, hint: str) -> Failure:
        """Credentials refused or missing, access denied, no such bucket: not retried."""
        return cls(message, hint, AccessError)


# a client's exception -> what it means
Explain = Callable[[Exception], Failure]

# A SAS signature or a credential in a query string, however the client quotes a URL.
_SECRET_PARAMS = re.compile(r"(?i)\b(sig|signature|x-amz-signature|access_token|token)=[^&\s'\"]+")


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


def redact(text: str, secrets: Iterable[str | None] = ()) -> str:
    """``text`` with every given secret and any signed-URL parameter replaced by ``***``."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return _SECRET_PARAMS.sub(lambda m: f"{m.group(1)}=***", text)


def client_failure(
    exc: Exception, explain: Explain, *, where: str, doing: str, secrets: Iterable[str | None] = ()
) -> EltError:
    """The error to raise for ``exc``, which happened while ``doing`` something to ``where``."""
    failure = explain(exc)
    return failure.error(
        f"{doing} failed: {redact(failure.message, secrets)}", where=where, hint=failure.hint
    )


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
