"""No plugin overrides a private singer-sdk method: they use elt.sdk's public hooks.

Overrides of singer-sdk's private methods live in elt.sdk only, behind public hooks
(``LeanStream.sync_records``, ``PartitionedStream.begin_table_version``,
``Tap.check_selected_streams``, ``LeanTarget.process_batch``…), so the pinned singer-sdk's
private signatures are checked in one place (core/tests/sdk/test_private_overrides.py).
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from types import ModuleType

import pytest

PLUGINS = (
    "tap_http",
    "tap_csv",
    "tap_postgres",
    "target_postgres",
    "target_files",
    "target_s3",
    "target_gcs",
    "target_azure",
)


def _modules(package: ModuleType) -> list[ModuleType]:
    names = [m.name for m in pkgutil.walk_packages(package.__path__, f"{package.__name__}.")]
    # __main__ runs the plugin when imported
    return [package, *(importlib.import_module(n) for n in names if not n.endswith("__main__"))]


@pytest.mark.parametrize("plugin", PLUGINS)
def test_the_plugin_overrides_no_private_singer_sdk_method(plugin: str) -> None:
    overrides = []
    for module in _modules(importlib.import_module(plugin)):
        for cls in vars(module).values():
            if not inspect.isclass(cls) or cls.__module__ != module.__name__:
                continue
            bases = [b for b in cls.__mro__[1:] if b.__module__.startswith("singer_sdk")]
            overrides += [
                f"{cls.__module__}.{cls.__qualname__}.{name}"
                for name in vars(cls)
                if name.startswith("_")
                and not name.endswith("_")
                and name != "_abc_impl"
                and any(name in vars(base) for base in bases)
            ]
    assert overrides == [], "override these through elt.sdk's public hooks instead"
