"""What elt's own plugins build on: singer-sdk bases with elt's fast message path.

Needs the ``sdk`` extra (``pip install 'elt-core[sdk]'``); the ``elt`` CLI does not import it.
"""

from __future__ import annotations

from elt.sdk.io import OrjsonReader, OrjsonWriter, StdoutSink
from elt.sdk.lean import LeanTarget, Load
from elt.sdk.maps import StreamMaps, add_map_settings, maps_configured
from elt.sdk.plugins import Tap, Target
from elt.sdk.progress import MeteredStream, log_committed, metric_interval
from elt.sdk.records import encode_records, maps_are_identity, record_prefix
from elt.sdk.settings import SettingRule, refused, warned
from elt.sdk.streams import LeanStream

__all__ = [
    "LeanStream",
    "LeanTarget",
    "Load",
    "MeteredStream",
    "OrjsonReader",
    "OrjsonWriter",
    "SettingRule",
    "StdoutSink",
    "StreamMaps",
    "Tap",
    "Target",
    "add_map_settings",
    "encode_records",
    "log_committed",
    "maps_are_identity",
    "maps_configured",
    "metric_interval",
    "record_prefix",
    "refused",
    "warned",
]
