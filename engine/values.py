"""Plain JSON values for records and audit payloads (money stays a decimal string)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import Enum
from typing import Any
from uuid import UUID


def plain(value: Any) -> Any:
    """Return ``value`` with every non-JSON type turned into its text form."""
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [plain(v) for v in value]
    if isinstance(value, Enum):
        return plain(value.value)
    if isinstance(value, (Decimal, UUID, timedelta)):
        return str(value)
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def at_path(data: Mapping[str, Any], path: str) -> object:
    """The value at a variable name or "dict.key" path of ``data``; None when absent.

    Task properties name instance data this way (``dueInVariable``,
    ``assignToVariable``, ``visibleData``): "payout_deadlines.station_confirmation"
    reads key ``station_confirmation`` of the dict ``payout_deadlines``.
    """
    value: object = data
    for part in path.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value
