"""How values read on the page."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from elt.ui.views import count, duration, percent, pretty, rate, utc, value, zoned


def test_durations_read_in_the_unit_that_fits() -> None:
    assert [duration(s) for s in (None, 0.42, 59.94, 61, 3599, 3600, 7620)] == [
        "—", "0.4 s", "59.9 s", "1 min 01 s", "59 min 59 s", "1 h 00 min", "2 h 07 min",
    ]  # fmt: skip


def test_numbers_rates_and_shares() -> None:
    assert (count(None), count(0), count(1234567)) == ("—", "0", "1,234,567")
    assert (rate(None), rate(12345.6)) == ("—", "12,346/s")
    assert (percent(None), percent(0.975), percent(1)) == ("—", "97.5 %", "100.0 %")


def test_times_in_utc_and_a_firing_in_its_own_zone() -> None:
    moment = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert utc(moment) == "2026-01-02 03:04:05Z"
    assert utc(moment.astimezone(ZoneInfo("Europe/Berlin"))) == "2026-01-02 03:04:05Z"
    assert utc(None) == "—"
    berlin = datetime(2026, 7, 1, 3, 0, tzinfo=ZoneInfo("Europe/Berlin"))
    assert zoned(berlin) == "2026-07-01 03:00 CEST (Europe/Berlin)"
    assert zoned(datetime(2026, 7, 1, 3, 0, tzinfo=ZoneInfo("UTC"))) == "2026-07-01 03:00 UTC"


def test_setting_values_and_states_as_text() -> None:
    assert value("plain text") == "plain text"
    assert value([{"entity": "users"}]) == '[{"entity": "users"}]'
    assert value(3) == "3"
    assert pretty({"b": 1, "a": {"x": "é"}}) == '{\n  "a": {\n    "x": "é"\n  },\n  "b": 1\n}'
