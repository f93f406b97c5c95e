"""State backend URLs: splitting them into their parts, and showing them without secrets.

A ``postgresql://`` URL may carry a password and an object store URL should carry none, but
someone will write one in; every message about a backend goes through :func:`redact_url`,
so a password never reaches a terminal, a log or a CI transcript.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

from elt.errors import ConfigError

__all__ = ["MASK", "WHERE", "redact_url", "split_bucket_url", "url_secrets"]

WHERE = "plugins.yml: state_backend"
MASK = "********"
_SECRET_PARAM = re.compile(r"pass|secret|token|key|sig|credential", re.IGNORECASE)


def redact_url(url: str) -> str:
    """``postgresql://me:s3cret@db/x?sslpassword=y`` -> ``postgresql://me:********@db/x?...``.

    The password of the user part and every query parameter whose name looks secret
    (password, token, key, signature, credential) are masked.
    """
    try:
        parts = urlsplit(url)
        netloc = parts.netloc
        if parts.password is not None:
            user, _, host = netloc.rpartition("@")
            netloc = f"{user.partition(':')[0]}:{MASK}@{host}"
        query = urlencode(
            [
                (key, MASK if _SECRET_PARAM.search(key) else value)
                for key, value in parse_qsl(parts.query, keep_blank_values=True)
            ],
            safe="*",
        )
        return urlunsplit(parts._replace(netloc=netloc, query=query))
    except ValueError:
        return f"{url.partition(':')[0]}://{MASK}"


def url_secrets(url: str) -> list[str]:
    """The secret values in ``url`` (as :func:`redact_url` masks them), to scrub from text."""
    try:
        parts = urlsplit(url)
        found = [parts.password] if parts.password else []
        found += [
            value for key, value in parse_qsl(parts.query) if value and _SECRET_PARAM.search(key)
        ]
    except ValueError:
        return [url]
    return [secret for value in found for secret in {value, unquote(value)}]


def split_bucket_url(url: str, scheme: str) -> tuple[str, str]:
    """``s3://bucket/a/b`` -> ``("bucket", "a/b/")``: the bucket and the key prefix.

    The prefix is a folder (it ends with ``/`` unless empty), so a store under ``state``
    never lists the objects of a sibling ``state-old``.
    """
    rest = url[len(scheme) + 3 :]
    if "?" in rest or "#" in rest:
        raise ConfigError(
            f"state_backend {redact_url(url)!r} has a query or fragment",
            where=WHERE,
            hint="Options of the backend go under state_backend_settings",
        )
    bucket, _, prefix = rest.partition("/")
    if not bucket or "@" in bucket or ":" in bucket:
        raise ConfigError(
            f"state_backend {redact_url(url)!r} does not name a bucket",
            where=WHERE,
            hint=f"Write {scheme}://BUCKET/PREFIX; credentials come from the environment",
        )
    parts = [part for part in prefix.split("/") if part]
    if any(part in (".", "..") for part in parts):
        raise ConfigError(
            f"state_backend {redact_url(url)!r}: the prefix may not contain . or .. segments",
            where=WHERE,
        )
    return bucket, "".join(f"{part}/" for part in parts)
