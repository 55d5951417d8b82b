"""One instance per value: a process whose runs are keyed by a variable of its data.

A monthly payout must not be started twice for one month. Its process says so with the
property ``oneInstancePer`` (the variable, here ``payout_month``): once a start has run
to its first wait, that variable's value becomes the instance's business key, and the
start is refused while another instance of the process (any version, not cancelled)
holds the key. Timer and hand starts go through the same check.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from engine.errors import InvalidSubmission
from engine.models import ProcessInstance
from engine.records import InstanceStatus

PROPERTY = "oneInstancePer"
_STATUS_ZH = {"running": "进行中", "completed": "已完成", "error": "出错",
              "suspended": "已暂停"}


class DuplicateInstance(InvalidSubmission):
    """Another instance of the process already holds this key."""

    code = "duplicate_instance"

    def __init__(self, variable: str, key: str, existing: ProcessInstance) -> None:
        en = (f"{key} already has instance #{existing.id} ({existing.status}); "
              "one instance per " + variable)
        zh = (f"{key} 已有流程实例 #{existing.id}"
              f"（{_STATUS_ZH.get(existing.status, existing.status)}），不能重复发起")
        super().__init__({variable: [en]}, errors_zh={variable: [zh]})
        self.existing_id = existing.id


def key_of(variable: str | None, data: Mapping[str, Any]) -> str | None:
    """The business key ``data`` gives (None: the process is not keyed or has no value)."""
    if not variable:
        return None
    value = data.get(variable)
    if value is None or isinstance(value, (dict, list)) or str(value).strip() == "":
        return None
    return str(value).strip()[:128]


def claim(session: Session, process_id: str, variable: str, key: str,
          instance: ProcessInstance) -> None:
    """Give ``instance`` the key, or raise DuplicateInstance if another one holds it.

    On PostgreSQL a transaction-scoped advisory lock on the key makes two concurrent
    starts of one key queue; SQLite writers are serialized by BEGIN IMMEDIATE already.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:k))"),
                        {"k": f"{process_id}\x1f{key}"})
    holder = session.scalars(
        select(ProcessInstance).where(
            ProcessInstance.process_id == process_id,
            ProcessInstance.business_key == key,
            ProcessInstance.status != InstanceStatus.CANCELLED.value,
            ProcessInstance.id != instance.id,
        ).order_by(ProcessInstance.id).limit(1)).first()
    if holder is not None:
        raise DuplicateInstance(variable, key, holder)
    instance.business_key = key
