"""The office calendar: working days (weekends, a holiday list) in the office time zone.

Due times expressed in working days ("P3WD", ``dueInWorkingDays``) and day-of-month
deadlines ("day 12 of the month") are computed here. Pure functions; no database.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo

_DAY_OF_MONTH = re.compile(
    r"^day\s+(?P<day>\d{1,2})(?:\s+of\s+(?:the|each|every)\s+month)?"
    r"(?:\s+(?:at\s+)?(?P<hour>\d{1,2}):(?P<minute>\d{2}))?$",
    re.IGNORECASE,
)
_WORKING_DAYS = re.compile(r"^P(?P<days>\d+)WD$", re.IGNORECASE)
END_OF_DAY = time(23, 59, 59)


@dataclass(frozen=True, slots=True)
class WorkCalendar:
    """Weekend days (Monday is 0), holidays and the office time zone."""

    zone: ZoneInfo
    holidays: frozenset[date] = frozenset()
    weekend: frozenset[int] = frozenset({5, 6})

    def is_working_day(self, day: date) -> bool:
        return day.weekday() not in self.weekend and day not in self.holidays

    def add_working_days(self, start: datetime, days: int) -> datetime:
        """The end of the ``days``-th working day after ``start`` (local 23:59:59).

        The day ``start`` falls on never counts, so "3 working days" from a Friday
        afternoon ends on Wednesday evening when Monday to Wednesday are working days.
        """
        if days < 1:
            raise ValueError("a number of working days must be at least 1")
        day = start.astimezone(self.zone).date()
        counted = 0
        for _ in range(days * 7 + 400):  # a year of holidays cannot stall it
            day += timedelta(days=1)
            if self.is_working_day(day):
                counted += 1
                if counted == days:
                    return datetime.combine(day, END_OF_DAY, self.zone)
        raise ValueError(f"no {days} working days found after {start.date()}")

    def day_of_month(self, now: datetime, text: str) -> datetime:
        """The next "day N of the month" deadline at or after ``now`` (local time).

        Without a time of day the deadline is the end of that day. A month too short
        for day N uses its last day (day 31 in April is 30 April).
        """
        match = _DAY_OF_MONTH.match(text.strip())
        if match is None:
            raise ValueError(f"{text!r} is not like 'day 12 of the month'")
        day = int(match.group("day"))
        if not 1 <= day <= 31:
            raise ValueError(f"day {day} of the month does not exist")
        at = END_OF_DAY
        if match.group("hour") is not None:
            at = time(int(match.group("hour")), int(match.group("minute")))
        local = now.astimezone(self.zone)
        for months_ahead in (0, 1, 2):
            year, month = divmod(local.month - 1 + months_ahead, 12)
            candidate = datetime.combine(
                _clamped(local.year + year, month + 1, day), at, self.zone
            )
            if candidate >= local:
                return candidate
        raise ValueError(f"no deadline found for {text!r}")  # unreachable: months ahead


def day_bound(
    value: datetime | date | None, zone: tzinfo, *, end: bool = False
) -> datetime | None:
    """An instant of a time range: a datetime as it is, an office day (a ``date``) as
    the UTC instant its local start (``end``: the next day's start, exclusive) falls on.
    """
    if value is None or isinstance(value, datetime):
        return value
    day = value + timedelta(days=1) if end else value
    return datetime.combine(day, time(), zone).astimezone(timezone.utc)


def parse_working_days(text: str) -> int | None:
    """The N of "PNWD" (N working days), or None when ``text`` is not of that form."""
    match = _WORKING_DAYS.match(text.strip())
    return int(match.group("days")) if match else None


def is_day_of_month(text: str) -> bool:
    """Whether ``text`` is a valid "day N of the month[ HH:MM]" deadline."""
    match = _DAY_OF_MONTH.match(text.strip())
    if match is None or not 1 <= int(match.group("day")) <= 31:
        return False
    return match.group("hour") is None or (
        int(match.group("hour")) < 24 and int(match.group("minute")) < 60
    )


def _clamped(year: int, month: int, day: int) -> date:
    while True:
        try:
            return date(year, month, day)
        except ValueError:
            day -= 1
