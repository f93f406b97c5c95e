"""``TapHttp``: the ``tap-http`` executable.

Streams come from configuration alone (see :mod:`tap_http.configschema`). A stream without
a ``schema`` takes the input catalog's, or is probed at discovery: its first page is fetched
(a child's with the first record of its parent), the schema inferred from it, and the page
kept for the sync (:mod:`tap_http.discovery`).
"""

from __future__ import annotations

from functools import cached_property
from typing import Any
from urllib.parse import urlsplit

from singer_sdk.authenticators import APIAuthenticatorBase

from elt.sdk.partitions import PartitionedTap
from tap_http.auth import make_authenticator, secret_query_params
from tap_http.configschema import CONFIG_SCHEMA, refuse_unknown_nested
from tap_http.discovery import FirstPages, catalog_schema, sample
from tap_http.inference import infer_schema
from tap_http.origins import Origins
from tap_http.redaction import Redactor, config_secrets
from tap_http.retries import RateLimiter
from tap_http.settings import StreamSettings, load_streams
from tap_http.streams import HttpStream, stream_class
from tap_http.transport import MAX_RESPONSE_BYTES, Transport

__all__ = ["TapHttp"]


class TapHttp(PartitionedTap):
    """Singer tap for paginated JSON APIs, one stream per configured endpoint."""

    name = "tap-http"
    package_name = "elt-tap-http"  # for --version and --about
    config_jsonschema = CONFIG_SCHEMA

    def check_settings(self) -> None:
        """elt.sdk's check of the top-level keys, then the same inside nested settings."""
        super().check_settings()
        refuse_unknown_nested(self.config)

    @cached_property
    def http_authenticator(self) -> APIAuthenticatorBase:
        """One authenticator for all streams, so an OAuth2 token is shared."""
        return make_authenticator(self.config.get("auth"), self.transport)

    @cached_property
    def rate_limiter(self) -> RateLimiter:
        return RateLimiter(self.config.get("max_requests_per_second"))

    @cached_property
    def secret_params(self) -> list[str]:
        return list(secret_query_params(self.config.get("auth")))

    @cached_property
    def origins(self) -> Origins:
        """Where the configuration's credentials may go (:mod:`tap_http.origins`)."""
        return Origins(str(self.config["api_url"]), self.config.get("allowed_hosts") or ())

    @cached_property
    def transport(self) -> Transport:
        """Sends every request of the tap; see :mod:`tap_http.transport`."""
        verify = bool(self.config.get("verify_ssl", True))
        return Transport(
            origins=self.origins,
            timeout=float(self.config.get("timeout", 300)),
            max_bytes=int(self.config.get("max_response_bytes") or MAX_RESPONSE_BYTES),
            verify=(verify and self.config.get("ca_bundle")) or verify,
            secret_params=self.secret_params,
            private_params=self._private_params(),
            redactor=self.redactor,
        )

    @cached_property
    def redactor(self) -> Redactor:
        """Every secret of this tap, redacted from its errors and the process's logs."""
        redactor = Redactor()
        for secret in config_secrets(self.config):
            redactor.add(secret)
        redactor.install()
        return redactor

    # singer-sdk marks sync_all final; overriding it is the one place that wraps a whole
    # sync (its errors scrubbed of secrets) while singer-sdk's invoke still calls it.
    def sync_all(self) -> None:  # type: ignore[misc]
        with self.redactor.scrubbing():
            super().sync_all()

    def _private_params(self) -> list[tuple[str, str]]:
        """Query pairs of the configuration (``params`` at any level, the API key): a link
        to an untrusted origin that repeats one loses it (:mod:`tap_http.origins`)."""
        pairs = list(secret_query_params(self.config.get("auth")).items())
        for params in [self.config.get("params"), *(s.params for s in load_streams(self.config))]:
            pairs += [(str(name), str(value)) for name, value in (params or {}).items()]
        return pairs

    @cached_property
    def first_pages(self) -> FirstPages:
        """Pages fetched to infer schemas, kept for the sync (:mod:`tap_http.discovery`)."""
        return FirstPages()

    def discover_streams(self) -> list[HttpStream]:
        with self.redactor.scrubbing():
            return self._discover()

    def _discover(self) -> list[HttpStream]:
        classes: dict[str, type[HttpStream]] = {}
        samples: dict[str, list[dict[str, Any]]] = {}
        streams: list[HttpStream] = []
        for settings in load_streams(self.config):
            self._say_if_elsewhere(settings)
            parent = classes.get(settings.parent) if settings.parent else None
            cls = classes[settings.name] = stream_class(settings, parent)
            schema = settings.schema or catalog_schema(self.input_catalog, settings.name)
            if schema is None:
                samples[settings.name] = sample(cls, settings, samples, self)
                schema = infer_schema(samples[settings.name])
            streams.append(cls(self, schema))
        return streams

    def _say_if_elsewhere(self, settings: StreamSettings) -> None:
        """A stream whose path is a URL on another origin gets nothing of the configuration
        (:mod:`tap_http.origins`); say so once, since it is configured that way."""
        path = settings.path.split("{", 1)[0]
        if "://" in path and urlsplit(path).netloc and not self.origins.trusts(path):
            self.logger.warning(
                "Stream %r is on %s, not api_url's origin: its requests carry no auth, "
                "headers, params or body. Add the origin to allowed_hosts to send them.",
                settings.name,
                self.origins.describe(path),
            )
