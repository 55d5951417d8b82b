"""ISO 8601 durations (P3D, PT4H, P1M2D) as calendar-aware relativedelta values."""

from __future__ import annotations

import re

from dateutil.relativedelta import relativedelta

_DURATION = re.compile(
    r"^P(?:(?P<years>\d+)Y)?(?:(?P<months>\d+)M)?(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?"
    r"(?:T(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+)S)?)?$"
)


def parse_duration(text: str) -> relativedelta | None:
    """Parse an ISO 8601 duration such as P3D, PT4H or P1M2D (None when malformed)."""
    match = _DURATION.match(text.strip().upper())
    if match is None or text.strip().upper() in ("P", "PT") or text.strip().endswith("T"):
        return None
    parts = {k: int(v) for k, v in match.groupdict().items() if v is not None}
    if not parts:
        return None
    return relativedelta(years=parts.get("years", 0), months=parts.get("months", 0),
                         weeks=parts.get("weeks", 0), days=parts.get("days", 0),
                         hours=parts.get("hours", 0), minutes=parts.get("minutes", 0),
                         seconds=parts.get("seconds", 0))
