"""elt.sdk's use of singer-sdk's private methods still fits the pinned singer-sdk.

A private method may change in any singer-sdk release without notice. Every one we override
lives in elt.sdk (plugins use the public hooks in front of them: tests/test_sdk_overrides.py
keeps it so) and is listed in :data:`OVERRIDES`; every one our code calls is listed in
:data:`CALLED`. An upgrade that removes, renames or re-signs one fails here, naming it —
instead of our override silently no longer being called, or a call failing mid-sync.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from typing import Any

import pytest
import singer_sdk
from singer_sdk import RESTStream, Stream
from singer_sdk.plugin_base import PluginBase

import elt.sdk
from elt.sdk.csvbatch import CsvBatchStream
from elt.sdk.lean import LeanTarget
from elt.sdk.partitions import PartitionedStream
from elt.sdk.plugins import Tap, _SettingsChecked
from elt.sdk.rest import TransportStream
from elt.sdk.streams import LeanStream

#: (our class, private method) -> the singer-sdk class whose method it overrides
OVERRIDES: dict[tuple[type, str], type] = {
    (LeanStream, "_sync_records"): Stream,
    (LeanStream, "_singer_catalog_entry"): Stream,
    (PartitionedStream, "_write_activate_version_message"): Stream,
    (PartitionedStream, "_finalize_state"): Stream,
    (CsvBatchStream, "_sync_batches"): Stream,
    (TransportStream, "_request"): RESTStream,
    (_SettingsChecked, "_validate_config"): PluginBase,
    (Tap, "_set_compatible_replication_methods"): singer_sdk.Tap,
    (LeanTarget, "_process_batch_message"): singer_sdk.Target,
    (LeanTarget, "_process_schema_message"): singer_sdk.Target,
    (LeanTarget, "_process_record_message"): singer_sdk.Target,
    (LeanTarget, "_process_state_message"): singer_sdk.Target,
    (LeanTarget, "_process_activate_version_message"): singer_sdk.Target,
    (LeanTarget, "_handle_termination"): singer_sdk.Target,
}

#: (singer-sdk class, private method) -> the parameters our calls pass (after ``self``)
CALLED: dict[tuple[type, str], tuple[str, ...]] = {
    (Stream, "_check_max_record_limit"): ("current_record_index",),
    (Stream, "_finalize_state"): ("state",),
    (Stream, "_get_state_partition_context"): ("context",),
    (Stream, "_increment_stream_state"): ("latest_record", "context"),
    (Stream, "_sync_children"): ("child_context",),
    (Stream, "_write_activate_version_message"): ("full_table_version",),
    (Stream, "_write_record_message"): ("record",),
    (Stream, "_write_schema_message"): (),
    (Stream, "_write_starting_replication_value"): ("context",),
    (Stream, "_write_state_message"): (),
    (RESTStream, "_prepare_request"): ("context", "page"),
    (RESTStream, "_request"): ("prepared_request", "context"),
    (RESTStream, "_url_encode"): ("val",),
    (RESTStream, "_write_request_duration_log"): ("endpoint", "response", "context", "extra_tags"),
    (singer_sdk.Tap, "_reset_state_progress_markers"): (),
    (singer_sdk.Tap, "_set_compatible_replication_methods"): (),
    (PluginBase, "_validate_config"): ("raise_errors",),
}


def _elt_sdk_classes() -> list[type]:
    classes: list[type] = []
    for module in pkgutil.walk_packages(elt.sdk.__path__, "elt.sdk."):
        loaded = importlib.import_module(module.name)
        classes += [
            c for c in vars(loaded).values() if inspect.isclass(c) and c.__module__ == module.name
        ]
    return classes


def _private_overrides(cls: type) -> set[str]:
    """The private singer-sdk methods ``cls`` itself defines again (enum and ABC internals,
    ``_sunder_`` names, are the language's, not singer-sdk's)."""
    bases = [b for b in cls.__mro__[1:] if b.__module__.startswith("singer_sdk")]
    return {
        name
        for name, value in vars(cls).items()
        if name.startswith("_")
        and not name.endswith("_")
        and name != "_abc_impl"
        and (callable(value) or isinstance(value, property))
        and any(name in vars(base) for base in bases)
    }


def _parameters(function: Any) -> list[tuple[str, Any, Any]]:
    """Name, kind and default of each parameter after ``self``."""
    parameters = list(inspect.signature(function).parameters.values())
    if parameters and parameters[0].name == "self":
        parameters = parameters[1:]
    return [(p.name, p.kind, p.default) for p in parameters]


def test_every_override_of_a_private_singer_sdk_method_in_elt_sdk_is_listed() -> None:
    found = {(cls, name) for cls in _elt_sdk_classes() for name in _private_overrides(cls)}
    assert found == set(OVERRIDES)


@pytest.mark.parametrize(
    ("ours", "name"), list(OVERRIDES), ids=[f"{c.__name__}.{n}" for c, n in OVERRIDES]
)
def test_the_overridden_method_has_the_signature_our_override_expects(
    ours: type, name: str
) -> None:
    sdk_class = OVERRIDES[ours, name]
    assert hasattr(sdk_class, name), f"singer-sdk's {sdk_class.__name__} has no {name} any more"
    theirs = inspect.getattr_static(sdk_class, name)
    mine = inspect.getattr_static(ours, name)
    if isinstance(mine, property):
        assert isinstance(theirs, property), f"{sdk_class.__name__}.{name} is no property now"
        return
    assert _parameters(mine) == _parameters(theirs), (
        f"singer-sdk's {sdk_class.__name__}.{name}{inspect.signature(theirs)} no longer "
        f"matches our override {ours.__name__}.{name}{inspect.signature(mine)}"
    )


@pytest.mark.parametrize(
    ("sdk_class", "name"), list(CALLED), ids=[f"{c.__name__}.{n}" for c, n in CALLED]
)
def test_a_private_method_we_call_takes_the_parameters_we_pass(sdk_class: type, name: str) -> None:
    assert hasattr(sdk_class, name), f"singer-sdk's {sdk_class.__name__} has no {name} any more"
    names = tuple(p[0] for p in _parameters(inspect.getattr_static(sdk_class, name)))
    assert names == CALLED[sdk_class, name], (
        f"singer-sdk's {sdk_class.__name__}.{name} now takes {names}; our calls pass "
        f"{CALLED[sdk_class, name]}"
    )
