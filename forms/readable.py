"""Machine forms of times and durations as people read them.

Scripts and imports store deadlines as ISO 8601 ("2026-10-03T18:00:00+08:00") and periods
as ISO durations ("P7D", "PT24H", "P3WD" for working days). Task instructions and
read-only displays show them as "2026-10-03 18:00" and "7 天" / "7 days" instead.
"""

from __future__ import annotations

import re
from datetime import datetime, tzinfo

_DATETIME = re.compile(
    r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})"
)
_DURATION = re.compile(
    r"P(?:(?P<years>\d+)Y)?(?:(?P<months>\d+)M)?(?:(?P<weeks>\d+)W)?"
    r"(?:(?P<days>\d+)D)?(?:(?P<working_days>\d+)WD)?"
    r"(?:T(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+)S)?)?"
)
# unit: (Chinese, English singular, English plural)
_UNITS = {
    "years": ("年", "year", "years"),
    "months": ("个月", "month", "months"),
    "weeks": ("周", "week", "weeks"),
    "days": ("天", "day", "days"),
    "working_days": ("个工作日", "working day", "working days"),
    "hours": ("小时", "hour", "hours"),
    "minutes": ("分钟", "minute", "minutes"),
    "seconds": ("秒", "second", "seconds"),
}


def readable(text: str, *, lang: str, zone: tzinfo | None = None) -> str | None:
    """``text`` as a time to the minute or a duration in words; None when it is neither.

    A time with an offset is shown in ``zone`` (else at its own offset, which is the
    office's for what the shipped scripts write).
    """
    text = text.strip()
    if _DATETIME.fullmatch(text):
        try:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            return None
        if zone is not None:
            moment = moment.astimezone(zone)
        return moment.strftime("%Y-%m-%d %H:%M")
    match = _DURATION.fullmatch(text)
    if match is None or text.endswith("T"):
        return None
    parts = [(unit, int(n)) for unit, n in match.groupdict().items() if n is not None]
    if not parts:
        return None
    if lang == "zh":
        return " ".join(f"{n} {_UNITS[unit][0]}" for unit, n in parts)
    return " ".join(
        f"{n} {_UNITS[unit][1] if n == 1 else _UNITS[unit][2]}" for unit, n in parts
    )
