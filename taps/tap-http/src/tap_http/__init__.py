"""Singer tap for any paginated JSON API: ``tap-http``, built on elt's singer-sdk base."""

from __future__ import annotations

from tap_http.streams import HttpStream
from tap_http.tap import TapHttp

__all__ = ["HttpStream", "TapHttp"]
