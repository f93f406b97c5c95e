"""``elt run --env NAME --config PLUGIN.SETTING=VALUE``: one run's environment and settings."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from core.tests.cli.toyruns import Elt, add_to_project, elt_in, history
from core.tests.plugins import TAP, TARGET, ToyProject
from tests.fixtures.apiserver import ApiServer, Reply

PROD = {"name": "prod", "plugins": {"taps": [{"name": TAP, "config": {"count": 3}}]}}


def test_an_override_wins_over_plugins_yml_and_the_environment_and_is_recorded(
    elt: Elt, toy: ToyProject
) -> None:
    toy.write(tap={"count": 5})
    before = (toy.root / "plugins.yml").read_text()
    result = elt_in(
        elt, toy, "run", TAP, TARGET, "--config", f"{TAP}.count=2", env={"TOY_TAP_COUNT": "4"}
    )
    assert result.exit_code == 0, result.stderr
    assert toy.ids() == [1, 2]
    assert f'elt | {TAP} config: {{"count": 2}}' in toy.logs()[0].read_text()
    [run] = history(elt, toy)
    assert run["overrides"] == {TAP: {"count": 2}}
    shown = elt_in(elt, toy, "runs", "show", run["run_id"])
    assert f"overrides:\n  {TAP}.count = 2\n" in shown.stdout
    assert (toy.root / "plugins.yml").read_text() == before
    assert not (toy.root / ".env").exists()


def test_a_run_without_overrides_shows_none(elt: Elt, toy: ToyProject) -> None:
    toy.write(tap={"count": 1})
    assert elt_in(elt, toy, "run", TAP, TARGET).exit_code == 0
    [run] = history(elt, toy)
    assert run["overrides"] == {}
    assert "overrides:   -\n" in elt_in(elt, toy, "runs", "show", run["run_id"]).stdout


def test_secret_overrides_are_redacted_in_the_log_history_alerts_and_console(
    elt: Elt, toy: ToyProject, webhook: ApiServer
) -> None:
    webhook.routes["/hook"] = lambda request: Reply(200, {"ok": True})
    toy.write(tap={"count": 1, "password": "in-plugins-yml"})
    add_to_project(toy, alerts=[{"on": ["success"], "webhook": webhook.url + "/hook"}])
    secrets = ("hunter2-override", "tok-override-99")
    result = elt_in(
        elt,
        toy,
        "--log-level",
        "debug",
        "run",
        TAP,
        TARGET,
        "--config",
        f"{TAP}.password={secrets[0]}",
        "--config",
        f"{TARGET}.api_token={secrets[1]}",
        "--json",
    )
    assert result.exit_code == 0, result.stderr
    log = toy.logs()[0].read_text()
    assert f"{TAP} | INFO {TAP}: connecting with password ********" in log
    assert f"{TARGET} | INFO {TARGET}: using token ********" in log
    # only the value the plugin got is known to the log's redactor: it got the override
    assert "in-plugins-yml" not in log
    [run] = history(elt, toy)
    assert run["overrides"] == {TAP: {"password": "********"}, TARGET: {"api_token": "********"}}
    assert json.loads(result.stdout)["overrides"] == run["overrides"]
    shown = elt_in(elt, toy, "runs", "show", run["run_id"]).stdout
    assert f"  {TAP}.password = ********" in shown
    [hit] = webhook.hits("/hook")
    assert hit.json()["overrides"] == run["overrides"]
    stored = b"".join(path.read_bytes() for path in (toy.root / ".elt").glob("system.db*"))
    for secret in secrets:
        for seen in (log, result.stdout, result.stderr, json.dumps(run), shown, hit.body.decode()):
            assert secret not in seen
        assert secret.encode() not in stored


def test_a_secret_override_is_redacted_in_the_error_of_a_failed_run(
    elt: Elt, toy: ToyProject
) -> None:
    toy.write(tap={"count": 3, "die_after": 1})
    result = elt_in(elt, toy, "run", TAP, TARGET, "--config", f"{TAP}.password=pw-7788")
    assert result.exit_code == 70
    assert f"INFO {TAP}: connecting with password ********" in result.stderr
    [run] = history(elt, toy)
    assert f"INFO {TAP}: connecting with password ********" in run["error"]
    for seen in (result.stderr, json.dumps(run), toy.logs()[0].read_text()):
        assert "pw-7788" not in seen


def test_a_retry_runs_with_the_same_overrides(elt: Elt, toy: ToyProject, tmp_path: Path) -> None:
    marker = tmp_path / "failed-once"
    toy.write(tap={"count": 9, "fail_once_marker": str(marker), "fail_once_after": 2})
    result = elt_in(
        elt, toy, "run", TAP, TARGET, "--retries", "1", "--retry-delay", "0",
        "--config", f"{TAP}.count=3",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert toy.ids() == [1, 2, 3]
    retry, first = history(elt, toy)
    assert (first["status"], retry["trigger"]) == ("failed", "retry")
    assert first["overrides"] == retry["overrides"] == {TAP: {"count": 3}}


@pytest.mark.parametrize(
    ("item", "message"),
    [
        (f"{TAP}.count", f"error: --config '{TAP}.count' is not PLUGIN.SETTING=VALUE. "
         f"Write it like --config {TAP}.start_date=2024-01-01"),
        ("count=2", "error: --config 'count' is not PLUGIN.SETTING=VALUE."),
        ("s3cret-value", "error: --config (not shown) is not PLUGIN.SETTING=VALUE."),
        ("toy-mapper.rename={}", "error: --config toy-mapper.rename: toy-mapper is not a plugin "
         f"of the run. Override a setting of one of {TAP}, {TARGET}"),
        ("tap-nope.x=1", "error: --config tap-nope.x: tap-nope is not a plugin of the run."),
        (f"{TAP}.count=many", f'error: --config {TAP}.count: expected integer, got "many"'),
    ],
    ids=["no-equals", "no-dot", "a-value-alone", "not-in-the-run", "unknown-plugin", "wrong-kind"],
)  # fmt: skip
def test_a_bad_override_is_refused_before_anything_runs(
    elt: Elt, toy: ToyProject, item: str, message: str
) -> None:
    toy.write(tap={"count": 1}, settings=[{"name": "count", "kind": "integer"}])
    result = elt_in(elt, toy, "run", TAP, TARGET, "--config", item)
    assert result.exit_code == (78 if "expected integer" in message else 2)
    assert result.stderr.startswith(message)
    assert history(elt, toy) == []
    assert toy.ids() == []


def test_env_selects_the_environments_config_and_state_id(elt: Elt, toy: ToyProject) -> None:
    toy.write(tap={"count": 1})
    add_to_project(toy, environments=[PROD])
    result = elt_in(elt, toy, "run", TAP, TARGET, "--env", "prod")
    assert result.exit_code == 0, result.stderr
    assert toy.ids() == [1, 2, 3]
    [run] = history(elt, toy)
    assert (run["environment"], run["state_id"]) == ("prod", f"prod:{TAP}-to-{TARGET}")


def test_an_override_wins_over_the_environments_config(elt: Elt, toy: ToyProject) -> None:
    toy.write(tap={"count": 1})
    add_to_project(toy, environments=[PROD])
    result = elt_in(elt, toy, "run", TAP, TARGET, "--env", "prod", "--config", f"{TAP}.count=2")
    assert result.exit_code == 0, result.stderr
    assert toy.ids() == [1, 2]


def test_env_must_agree_with_the_global_environment_option(elt: Elt, toy: ToyProject) -> None:
    toy.write(tap={"count": 1})
    add_to_project(toy, environments=[PROD, {"name": "dev"}])
    conflict = elt_in(elt, toy, "-e", "dev", "run", TAP, TARGET, "--env", "prod")
    assert conflict.exit_code == 2
    assert conflict.stderr == (
        "error: two environments given: -e dev and --env prod. Give one of them\n"
    )
    assert history(elt, toy) == []
    same = elt_in(elt, toy, "-e", "prod", "run", TAP, TARGET, "--env", "prod")
    assert same.exit_code == 0, same.stderr
    from_variable = elt_in(
        elt, toy, "run", TAP, TARGET, "--env", "prod", env={"ELT_ENVIRONMENT": "dev"}
    )
    assert from_variable.exit_code == 0, from_variable.stderr
    assert {run["environment"] for run in history(elt, toy)} == {"prod"}
