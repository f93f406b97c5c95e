from __future__ import annotations

import textwrap

import pytest

from elt.errors import ProjectError
from elt.project.yamlio import dump, line_of, parse, remove_item, to_plain

TEXT = textwrap.dedent(
    """\
    # a comment
    version: 1
    plugins:
      taps:
        - name: tap-csv
          config: {port: 5432, when: 2024-01-31, ratio: 1.5, hex: 0x10, on: true}
    """
)


def test_line_of_finds_the_line_of_keys_and_list_items() -> None:
    document = parse(TEXT, label="plugins.yml")
    assert line_of(document, ("plugins",)) == 3
    assert line_of(document, ("plugins", "taps", 0)) == 5
    assert line_of(document, ("plugins", "taps", 0, "config", "ratio")) == 6


def test_line_of_a_missing_node_is_the_line_of_its_nearest_parent() -> None:
    document = parse(TEXT, label="plugins.yml")
    assert line_of(document, ("plugins", "taps", 0, "pip_url")) == 5
    assert line_of(document, ("nowhere",)) is None


def test_to_plain_returns_json_like_values_with_dates_as_iso_text() -> None:
    plain = to_plain(parse(TEXT, label="plugins.yml"))
    config = plain["plugins"]["taps"][0]["config"]
    assert config == {"port": 5432, "when": "2024-01-31", "ratio": 1.5, "hex": 16, "on": True}
    assert [type(v) for v in config.values()] == [int, str, float, int, bool]


def test_a_syntax_error_names_the_file_and_line() -> None:
    with pytest.raises(ProjectError) as raised:
        parse("version: 1\nplugins:\n  taps: [\n", label="plugins.yml")
    assert raised.value.where == "plugins.yml:4"
    assert str(raised.value).startswith("plugins.yml:4: invalid YAML: ")


def test_a_duplicate_key_is_a_syntax_error() -> None:
    with pytest.raises(ProjectError, match="duplicate key"):
        parse("a: 1\na: 2\n", label="plugins.yml")


def test_dump_keeps_comments_and_the_original_list_indentation() -> None:
    flat = "# top\nplugins:\n  taps:\n  - name: a  # first\n    pip_url: x\n"
    document = parse(flat, label="plugins.yml")
    document["plugins"]["taps"].append({"name": "b"})
    assert dump(document, like=flat) == flat + "  - name: b\n"


def test_dump_keeps_the_indented_list_style() -> None:
    indented = "plugins:\n  taps:\n    - name: a\n"
    document = parse(indented, label="plugins.yml")
    document["plugins"]["taps"].append({"name": "b"})
    assert dump(document, like=indented) == indented + "    - name: b\n"


LIST = textwrap.dedent(
    """\
    plugins:
      taps:
        # the CSV tap
        - name: tap-csv   # inline on tap-csv
          config:
            x: 1   # x comment
        # the HTTP tap, to go
        - name: tap-http
          pip_url: ./x   # its own comment
          # config: {b: 2}

        # the third tap
        - name: tap-three
      # targets follow
      targets: [{name: a}, {name: b}]
    # the end
    """
)


def test_removing_a_list_item_keeps_every_comment_but_its_own() -> None:
    assert remove_item(LIST, ("plugins", "taps", 1), label="plugins.yml") == LIST.replace(
        "    # the HTTP tap, to go\n    - name: tap-http\n      pip_url: ./x   # its own comment\n"
        "      # config: {b: 2}\n",
        "",
    )


def test_removing_the_last_items_leaves_an_empty_list_and_the_comments_around_it() -> None:
    text = remove_item(LIST, ("plugins", "taps", 2), label="plugins.yml")
    text = remove_item(text, ("plugins", "taps", 1), label="plugins.yml")
    text = remove_item(text, ("plugins", "taps", 0), label="plugins.yml")
    assert text == (
        "plugins:\n  taps: []\n\n  # targets follow\n  targets: [{name: a}, {name: b}]\n# the end\n"
    )


def test_an_item_of_a_flow_list_is_removed_by_ruamel() -> None:
    text = remove_item(LIST, ("plugins", "targets", 0), label="plugins.yml")
    assert to_plain(parse(text, label="plugins.yml"))["plugins"]["targets"] == [{"name": "b"}]  # type: ignore[index]
    assert "# the third tap\n" in text
    assert text.endswith("# the end\n")
