"""Cron fields read in a schedule's time zone, through daylight saving time changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from core.tests.schedule.test_scheduler import FakeClock, scheduler, spec
from elt.schedule import next_fire

BERLIN = "Europe/Berlin"
# 2026: clocks go forward on 29 March at 02:00 (to 03:00), back on 25 October at 03:00 (to 02:00)


def fires(interval: str, start: datetime, count: int, zone: str = BERLIN) -> list[datetime]:
    found = []
    for _ in range(count):
        start = next_fire(interval, start, zone)
        found.append(start)
    return found


def test_the_fields_are_read_in_the_zone_winter_and_summer() -> None:
    assert next_fire("0 3 * * *", datetime(2026, 1, 10, tzinfo=UTC), BERLIN) == datetime(
        2026, 1, 10, 2, tzinfo=UTC
    )
    assert next_fire("0 3 * * *", datetime(2026, 7, 10, tzinfo=UTC), BERLIN) == datetime(
        2026, 7, 10, 1, tzinfo=UTC
    )
    assert next_fire("0 3 * * *", datetime(2026, 7, 10, tzinfo=UTC)) == datetime(
        2026, 7, 10, 3, tzinfo=UTC
    )


def test_a_time_in_the_skipped_spring_hour_fires_right_after_it_once() -> None:
    assert fires("30 2 * * *", datetime(2026, 3, 28, 12, tzinfo=UTC), 2) == [
        datetime(2026, 3, 29, 1, 0, tzinfo=UTC),  # 03:00 CEST: 02:30 never happens
        datetime(2026, 3, 30, 0, 30, tzinfo=UTC),  # 02:30 CEST
    ]


def test_a_fixed_time_in_the_repeated_autumn_hour_fires_once() -> None:
    assert fires("30 2 * * *", datetime(2026, 10, 24, 12, tzinfo=UTC), 2) == [
        datetime(2026, 10, 25, 0, 30, tzinfo=UTC),  # 02:30 CEST, the first 02:30
        datetime(2026, 10, 26, 1, 30, tzinfo=UTC),  # not 01:30 UTC, the second 02:30
    ]


def test_an_hour_wildcard_keeps_its_pace_through_the_repeated_hour() -> None:
    got = fires("*/30 * * * *", datetime(2026, 10, 24, 23, 50, tzinfo=UTC), 6)
    start = datetime(2026, 10, 25, 0, 0, tzinfo=UTC)
    assert got == [start + timedelta(minutes=30 * n) for n in range(6)]
    hourly = fires("@hourly", datetime(2026, 10, 24, 23, 50, tzinfo=UTC), 4)
    assert hourly == [start + timedelta(hours=n) for n in range(4)]


def test_the_scheduler_runs_a_daily_schedule_once_a_day_across_the_autumn_change() -> None:
    clock = FakeClock(datetime(2026, 10, 24, 12, tzinfo=UTC))
    made, launches = scheduler(clock, spec("nightly", "30 2 * * *", timezone=BERLIN))
    made.start()
    while clock.now() < datetime(2026, 10, 27, 12, tzinfo=UTC):
        clock.sleep(made.tick())
        for _, _, child in launches.started:
            child.code = 0
    assert [at for _, at, _ in launches.started] == [
        datetime(2026, 10, 25, 0, 30, tzinfo=UTC),
        datetime(2026, 10, 26, 1, 30, tzinfo=UTC),
        datetime(2026, 10, 27, 1, 30, tzinfo=UTC),
    ]


def test_an_unknown_zone_is_refused_naming_the_expected_form() -> None:
    with pytest.raises(ValidationError, match="not a time zone: use an IANA name"):
        spec(timezone="Mars/Olympus_Mons")
    assert spec().timezone == "UTC"
