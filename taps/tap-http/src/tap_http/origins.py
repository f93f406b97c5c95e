"""Which origins the configuration's credentials may go to: ``api_url``'s and ``allowed_hosts``.

An origin is a scheme, a host and a port, as browsers scope credentials. An API's next
link, ``Link`` header or redirect can point anywhere; a request to an origin not trusted
here carries nothing from the configuration — no ``auth``, ``headers``, ``params`` or
``body`` — only the URL the API gave (without the API key tap-http would have added), so a
hostile or careless API cannot collect the credentials by linking elsewhere. Pre-signed
download links, which carry their own signature, work that way unchanged.

An ``allowed_hosts`` entry is an origin (``https://files.example.com``, a port optional) or a
host name with an optional port, which takes ``api_url``'s scheme.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

from elt.errors import ConfigError

__all__ = ["Origin", "Origins", "origin_of"]

Origin = tuple[str, str, int]

_DEFAULT_PORTS = {"http": 80, "https": 443}


def origin_of(url: str, *, scheme: str | None = None) -> Origin | None:
    """``(scheme, host, port)`` of ``url`` (lower case, default port filled in), or None
    for a URL without a host. ``scheme`` is assumed when ``url`` has none."""
    parts = urlsplit(url if "://" in url or scheme is None else f"{scheme}://{url}")
    try:
        port = parts.port
    except ValueError:
        return None
    if not parts.hostname or parts.scheme not in _DEFAULT_PORTS:
        return None
    return parts.scheme, parts.hostname, port or _DEFAULT_PORTS[parts.scheme]


def _show(origin: Origin) -> str:
    scheme, host, port = origin
    return f"{scheme}://{host}" + ("" if port == _DEFAULT_PORTS[scheme] else f":{port}")


class Origins:
    """The trusted origins of one tap: ``api_url``'s and those ``allowed_hosts`` adds."""

    def __init__(self, api_url: str, allowed_hosts: Iterable[str] = ()) -> None:
        home = origin_of(api_url)
        if home is None:
            raise ConfigError(
                f"{api_url!r} is not an http or https URL with a host", where="api_url"
            )
        self.home = home
        self._trusted = {home}
        for index, entry in enumerate(allowed_hosts):
            parts = urlsplit(entry if "://" in entry else f"//{entry}")
            extra = origin_of(entry, scheme=home[0])
            if extra is None or parts.path not in ("", "/") or parts.query or "@" in entry:
                raise ConfigError(
                    f"{entry!r} is not an origin (https://host[:port]) or a host[:port]",
                    where=f"allowed_hosts[{index}]",
                )
            self._trusted.add(extra)

    def trusts(self, url: str) -> bool:
        """Whether a request to ``url`` may carry the configuration's credentials."""
        return origin_of(url) in self._trusted

    def describe(self, url: str) -> str:
        """The origin of ``url`` as a person writes it (for messages)."""
        origin = origin_of(url)
        return _show(origin) if origin is not None else url
