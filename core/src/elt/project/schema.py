"""The JSON Schema of plugins.yml, for editors.

Generated from the pydantic model so that it cannot drift from what elt accepts. The
repository commits it as ``plugins.schema.json`` (a test fails when it is stale; regenerate
with ``elt schema > plugins.schema.json``) and ``elt init`` writes a copy into each new
project, referenced from the ``# yaml-language-server: $schema=...`` line of plugins.yml.
"""

from __future__ import annotations

from typing import Any

import orjson

from elt.project.model import Manifest

__all__ = ["plugins_schema", "render_schema"]

_DIALECT = "https://json-schema.org/draft/2020-12/schema"


def plugins_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of plugins.yml."""
    return {"$schema": _DIALECT, **Manifest.model_json_schema()}


def render_schema() -> str:
    """The schema as the committed file holds it: indented JSON with a final newline."""
    return orjson.dumps(plugins_schema(), option=orjson.OPT_INDENT_2).decode() + "\n"
