"""elt.sdk.settings: undeclared settings are refused or warned of, never silently taken."""

from __future__ import annotations

import logging

import pytest

from elt.errors import ConfigError
from elt.sdk.settings import check_settings, refused, warned

LOGGER = logging.getLogger("test-plugin")
RULES = {
    "use_copy": warned("every load is a COPY"),
    "replication_*": refused("use replication-method metadata"),
}


def check(config: dict[str, object]) -> None:
    check_settings("tap-x", config, declared={"files", "port"}, rules=RULES, logger=LOGGER)


def test_declared_settings_pass() -> None:
    check({"files": [], "port": 5432})


def test_an_unknown_setting_is_refused_with_the_closest_declared_name() -> None:
    with pytest.raises(ConfigError) as raised:
        check({"fles": []})
    assert raised.value.exit_code == 78
    assert "unknown setting 'fles' (did you mean 'files'?)" in str(raised.value)
    assert "tap-x --about" in str(raised.value)


def test_an_unknown_setting_with_no_close_name_gets_no_suggestion() -> None:
    with pytest.raises(ConfigError) as raised:
        check({"zzzzzz": 1})
    assert "unknown setting 'zzzzzz'" in str(raised.value)
    assert "did you mean" not in str(raised.value)


def test_a_refused_setting_says_what_to_use_and_globs_match() -> None:
    with pytest.raises(ConfigError) as raised:
        check({"replication_slot_name": "s"})
    assert "setting 'replication_slot_name' is not supported: use replication-method metadata" in (
        str(raised.value)
    )


def test_every_refusal_is_reported_at_once() -> None:
    with pytest.raises(ConfigError) as raised:
        check({"fles": [], "replication_x": 1})
    assert "'fles'" in str(raised.value)
    assert "'replication_x'" in str(raised.value)


def test_a_warned_setting_is_accepted_with_one_warning(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="test-plugin"):
        check({"use_copy": True})
    [record] = caplog.records
    assert record.getMessage() == "Setting 'use_copy' has no effect in tap-x: every load is a COPY"


def test_an_unset_value_is_neither_refused_nor_warned(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="test-plugin"):
        check({"fles": None, "use_copy": None})
    assert caplog.records == []
