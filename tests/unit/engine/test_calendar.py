"""Working days skip weekends and holidays; day-of-month deadlines roll over."""

from __future__ import annotations

from datetime import date, datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from engine.calendar import WorkCalendar, is_day_of_month, parse_working_days
from engine.deadline_config import DeadlineConfig, read_holidays

SHANGHAI = ZoneInfo("Asia/Shanghai")
NATIONAL_DAY = frozenset(date(2026, 10, d) for d in range(1, 8))
OFFICE = WorkCalendar(zone=SHANGHAI, holidays=NATIONAL_DAY)


def local(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=SHANGHAI)


@pytest.mark.parametrize(
    "start, days, due",
    [
        (
            local(2026, 3, 6, 15, 0),
            1,
            local(2026, 3, 9, 23, 59, 59),
        ),  # Friday -> Monday
        (
            local(2026, 3, 7, 10, 0),
            3,
            local(2026, 3, 11, 23, 59, 59),
        ),  # from a Saturday
        (
            local(2026, 9, 30, 9, 0),
            1,
            local(2026, 10, 8, 23, 59, 59),
        ),  # over National Day
        (
            datetime(2026, 3, 5, 17, 0, tzinfo=timezone.utc),
            1,  # already Friday there
            local(2026, 3, 9, 23, 59, 59),
        ),
    ],
)
def test_working_days_skip_weekends_and_holidays(
    start: datetime, days: int, due: datetime
) -> None:
    assert OFFICE.add_working_days(start, days) == due


@pytest.mark.parametrize(
    "now, text, due",
    [
        (
            local(2026, 3, 2, 9, 0),
            "day 12 of the month",
            local(2026, 3, 12, 23, 59, 59),
        ),
        (
            local(2026, 3, 12, 23, 0),
            "day 12 of the month",
            local(2026, 3, 12, 23, 59, 59),
        ),
        (local(2026, 3, 13, 0, 0), "day 12", local(2026, 4, 12, 23, 59, 59)),
        (
            local(2026, 4, 2, 9, 0),
            "day 31 of each month 17:00",
            local(2026, 4, 30, 17, 0),
        ),
        (
            local(2026, 12, 20, 9, 0),
            "Day 5 of the month at 09:30",
            local(2027, 1, 5, 9, 30),
        ),
    ],
)
def test_day_of_month_deadline_is_the_next_such_day(
    now: datetime, text: str, due: datetime
) -> None:
    assert OFFICE.day_of_month(now, text) == due


def test_deadline_texts_are_recognised_strictly() -> None:
    assert [parse_working_days(t) for t in ("P3WD", "p10wd", "P3W", "P3D")] == [
        3,
        10,
        None,
        None,
    ]
    assert [
        is_day_of_month(t)
        for t in ("day 12 of the month", "day 0", "day 32", "day 5 25:00", "12th")
    ] == [True, False, False, False, False]


def test_holiday_file_is_read_once_and_bad_lines_fail_loudly(tmp_path: Path) -> None:
    good = tmp_path / "holidays.txt"
    good.write_text("# 2026 national holidays\n2026-10-01\n\n2026-10-02  # 国庆\n")
    config = DeadlineConfig.from_mapping(
        {"SIGNOFF_HOLIDAYS": str(good), "SIGNOFF_TIMEZONE": "Asia/Shanghai"}
    )
    assert config.holidays == {date(2026, 10, 1), date(2026, 10, 2)}
    bad = tmp_path / "bad.txt"
    bad.write_text("2026-10-01\nOctober 2nd\n")
    with pytest.raises(ValueError, match="bad.txt:2"):
        read_holidays(bad)
    with pytest.raises(ValueError, match="SIGNOFF_TIMEZONE"):
        DeadlineConfig.from_mapping({"SIGNOFF_TIMEZONE": "Mars/Olympus"})
    with pytest.raises(ValueError, match="SIGNOFF_JOB_MAX_ATTEMPTS"):
        DeadlineConfig.from_mapping({"SIGNOFF_JOB_MAX_ATTEMPTS": "many"})
