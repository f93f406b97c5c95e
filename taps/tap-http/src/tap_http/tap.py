"""``TapHttp``: the ``tap-http`` executable.

Streams come from configuration alone (see :mod:`tap_http.configschema`). A stream without
a ``schema`` is probed at discovery: its first page is fetched (a child's with the first
record of its parent) and the schema inferred from it; set ``schema`` to skip that request.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cached_property
from itertools import islice
from typing import Any

from singer_sdk.authenticators import APIAuthenticatorBase

from elt.sdk import Tap
from tap_http.auth import make_authenticator, secret_query_params
from tap_http.configschema import CONFIG_SCHEMA
from tap_http.inference import infer_schema
from tap_http.retries import RateLimiter
from tap_http.settings import StreamSettings, load_streams
from tap_http.streams import HttpStream, stream_class

__all__ = ["TapHttp"]

# Records of the first page used to infer a schema.
SAMPLE_RECORDS = 1000

_PROBE_SCHEMA: dict[str, Any] = {"type": "object", "properties": {}}


class TapHttp(Tap):
    """Singer tap for paginated JSON APIs, one stream per configured endpoint."""

    name = "tap-http"
    package_name = "elt-tap-http"  # for --version and --about
    config_jsonschema = CONFIG_SCHEMA

    @cached_property
    def http_authenticator(self) -> APIAuthenticatorBase:
        """One authenticator for all streams, so an OAuth2 token is shared."""
        return make_authenticator(self.config.get("auth"))

    @cached_property
    def rate_limiter(self) -> RateLimiter:
        return RateLimiter(self.config.get("max_requests_per_second"))

    @cached_property
    def secret_params(self) -> list[str]:
        return secret_query_params(self.config.get("auth"))

    def discover_streams(self) -> list[HttpStream]:
        classes: dict[str, type[HttpStream]] = {}
        samples: dict[str, list[dict[str, Any]]] = {}
        streams: list[HttpStream] = []
        for settings in load_streams(self.config):
            parent = classes.get(settings.parent) if settings.parent else None
            cls = classes[settings.name] = stream_class(settings, parent)
            schema = settings.schema
            if schema is None:
                samples[settings.name] = self._sample(cls, settings, samples)
                schema = infer_schema(samples[settings.name])
            streams.append(cls(self, schema))
        return streams

    def _sample(
        self,
        cls: type[HttpStream],
        settings: StreamSettings,
        samples: dict[str, list[dict[str, Any]]],
    ) -> list[dict[str, Any]]:
        """Records of the first page, for inference; a child asks for its parent's first."""
        context: Mapping[str, Any] | None = None
        if settings.parent is not None:
            parent_records = samples.get(settings.parent) or []
            if not parent_records:
                return []
            parent = cls.parent_stream_type
            assert parent is not None
            probe_parent = parent(self, _PROBE_SCHEMA)
            probe_parent.child_streams = [cls(self, _PROBE_SCHEMA)]
            context = probe_parent.get_child_context(parent_records[0], None)
        probe = cls(self, _PROBE_SCHEMA)
        return list(islice(probe.sample_page(context), SAMPLE_RECORDS))
