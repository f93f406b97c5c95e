from __future__ import annotations

from elt.project.problems import Problem, did_you_mean, project_error, render_loc


def test_render_loc_writes_the_dotted_yaml_path() -> None:
    assert render_loc(("plugins", "taps", 2, "config", "port")) == "plugins.taps[2].config.port"


def test_render_loc_quotes_keys_that_are_not_bare_words() -> None:
    assert render_loc(("config", "aws.region")) == 'config["aws.region"]'
    assert render_loc(()) == "(top level)"


def test_did_you_mean_suggests_a_close_name() -> None:
    assert did_you_mean("pip_ulr", ["name", "pip_url"]) == 'Did you mean "pip_url"?'
    assert did_you_mean("int", ["string", "integer"]) == 'Did you mean "integer"?'


def test_did_you_mean_ignores_names_that_only_share_a_prefix() -> None:
    assert did_you_mean("tap-zz", ["tap-d", "tap-csv"]) == ""


def test_one_problem_renders_as_path_message_and_line() -> None:
    error = project_error(
        [Problem(("plugins", "taps", 2, "config", "port"), 'expected integer, got "abc"')],
        label="plugins.yml",
        line_of=lambda loc: 14,
    )
    assert str(error) == 'plugins.taps[2].config.port: expected integer, got "abc" (plugins.yml:14)'
    assert error.where == "plugins.taps[2].config.port"


def test_several_problems_render_one_per_line_sorted_by_line() -> None:
    lines = {("b",): 9, ("a",): 3}
    error = project_error(
        [Problem(("b",), "second", "Fix it"), Problem(("a",), "first")],
        label="plugins.yml",
        line_of=lambda loc: lines[tuple(loc)],
    )
    assert str(error) == (
        "plugins.yml: 2 problems:\n  a: first (plugins.yml:3)\n  b: second (plugins.yml:9). Fix it"
    )
