"""``TransportStream``: a singer-sdk REST stream whose requests a hook sends.

singer-sdk sends each prepared request in its private ``RESTStream._request`` (send, log
the duration, validate the response). A tap with its own transport — tap-http: retries
sorted by status, redirects that drop credentials, a rate limit, first pages kept from
discovery — sends them in :meth:`TransportStream.send_request` instead, so the override
of the private method stays in ``elt.sdk`` (see :mod:`elt.sdk.streams`).

Only tap-http imports this module (singer-sdk's REST stream loads ``requests``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import requests
from singer_sdk import RESTStream

from elt.sdk.streams import LeanStream

__all__ = ["TransportStream"]


class TransportStream(LeanStream, RESTStream[Any]):
    """A :class:`~elt.sdk.streams.LeanStream` on singer-sdk's ``RESTStream``."""

    def send_request(
        self, prepared_request: requests.PreparedRequest, context: Mapping[str, Any] | None
    ) -> requests.Response:
        """The response to one prepared request (singer-sdk's sending by default)."""
        return super()._request(prepared_request, context)

    def _request(
        self, prepared_request: requests.PreparedRequest, context: Mapping[str, Any] | None
    ) -> requests.Response:
        return self.send_request(prepared_request, context)
