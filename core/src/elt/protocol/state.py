"""Singer state: bookmarks per stream, and how partial states combine.

A tap's STATE value is usually ``{"bookmarks": {stream: {...}}, ...}``. A tap may emit a
state that mentions only the streams it touched (singer-sdk does, and so do many others);
the runner must merge it over the last committed state rather than replace it, or the
bookmarks of every other stream would be lost. ``merge_state`` is that merge: mappings
merge key by key, recursively, except that a stream's bookmark replaces the older one whole
(a tap writes a stream's whole bookmark each time, and a key it drops must go: singer-sdk's
``replication_key_signpost`` once the stream's sync ended); any other value (a list, a
scalar, null) in the newer state replaces the older one. ``deep_merge`` merges every
mapping key by key (plugin configs).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def merge_state(base: Mapping[str, Any], update: Mapping[str, Any]) -> dict[str, Any]:
    """A new state: ``update`` merged over ``base`` (see the module docstring); neither
    argument is changed."""
    merged = deep_merge(base, {k: v for k, v in update.items() if k != "bookmarks"})
    bookmarks, new = base.get("bookmarks"), update.get("bookmarks")
    if isinstance(bookmarks, Mapping) and isinstance(new, Mapping):
        merged["bookmarks"] = {**bookmarks, **new}
    elif "bookmarks" in update:
        merged["bookmarks"] = new
    return merged


def deep_merge(base: Mapping[str, Any], update: Mapping[str, Any]) -> dict[str, Any]:
    """A new mapping: ``update`` merged over ``base`` key by key, recursively; neither
    argument is changed."""
    merged: dict[str, Any] = dict(base)
    for key, new in update.items():
        old = merged.get(key)
        if isinstance(old, Mapping) and isinstance(new, Mapping):
            merged[key] = deep_merge(old, new)
        else:
            merged[key] = new
    return merged


def get_bookmark(state: Mapping[str, Any], stream: str, key: str, default: Any = None) -> Any:
    """The value stored under ``bookmarks.<stream>.<key>``, or ``default``."""
    bookmarks = state.get("bookmarks")
    if not isinstance(bookmarks, Mapping):
        return default
    entry = bookmarks.get(stream)
    if not isinstance(entry, Mapping):
        return default
    return entry.get(key, default)


def set_bookmark(state: Mapping[str, Any], stream: str, key: str, value: Any) -> dict[str, Any]:
    """A new state with ``bookmarks.<stream>.<key>`` set; ``state`` is not changed."""
    return merge_state(state, {"bookmarks": {stream: {key: value}}})


def clear_stream(state: Mapping[str, Any], stream: str) -> dict[str, Any]:
    """A new state without any bookmark for ``stream`` (a full re-sync of that stream)."""
    result = dict(state)
    bookmarks = result.get("bookmarks")
    if isinstance(bookmarks, Mapping) and stream in bookmarks:
        result["bookmarks"] = {k: v for k, v in bookmarks.items() if k != stream}
    return result
