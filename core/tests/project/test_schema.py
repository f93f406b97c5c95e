from __future__ import annotations

from pathlib import Path

import orjson

from elt.project.schema import plugins_schema, render_schema

COMMITTED = Path(__file__).resolve().parents[3] / "plugins.schema.json"


def test_the_committed_schema_is_the_generated_one() -> None:
    assert COMMITTED.read_text(encoding="utf-8") == render_schema(), (
        "plugins.schema.json is stale; regenerate it with: elt schema > plugins.schema.json"
    )


def test_the_schema_forbids_unknown_keys_and_names_the_plugin_kinds() -> None:
    schema = plugins_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["additionalProperties"] is False
    plugins = schema["$defs"]["Plugins"]
    assert list(plugins["properties"]) == ["taps", "targets", "mappers"]
    assert plugins["additionalProperties"] is False


def test_the_schema_lists_every_setting_kind() -> None:
    kinds = plugins_schema()["$defs"]["SettingKind"]["enum"]
    assert kinds == [
        "string",
        "integer",
        "number",
        "boolean",
        "password",
        "object",
        "array",
        "date_iso8601",
        "file",
    ]


def test_render_schema_is_json_with_a_final_newline() -> None:
    text = render_schema()
    assert text.endswith("}\n")
    assert orjson.loads(text) == plugins_schema()
