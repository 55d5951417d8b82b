"""Canned auditor reports computed from the hash-chained trail in keyset batches.

Reports read only audit events (never live instance state), so every figure can be
traced to verifiable events. Field names the reports look for are options with
documented defaults. Never writes, never commits.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.audit_records import AuditFilter, ChainEntry, ReportInfo
from engine.auditsearch import iter_entries, to_chain_entry
from engine.audittimeline import parse_time, submitted, with_appended
from engine.errors import InvalidInput
from engine.models import AuditEvent

_CHUNK = 500
_VERDICTS = {
    "approve": "approved",
    "approved": "approved",
    "agree": "approved",
    "return": "returned",
    "returned": "returned",
    "revise": "returned",
    "reject": "rejected",
    "rejected": "rejected",
    "disagree": "rejected",
}
# How an instance stands, from the events that open, fail and end it.
_ENDS = {
    "instance_started": "open",
    "instance_retried": "open",
    "instance_completed": "completed",
    "instance_cancelled": "cancelled",
    "instance_failed": "failed",
}
# Events whose payload sets instance variables (see ``audittimeline.submitted``).
_DATA_EVENTS = ("task_completed", "data_computed", "decision_evaluated",
                "instance_data_edited")
DEFAULT_OPTIONS = {
    "payout_process": "station_payout",
    "month_field": "payout_month",
    "branch_field": "branch_name",
    "station_list": "station_results",
    "station_amount": "reward_total",
    "branch_list": "branch_results",
    "branch_amount": "net_total",
    "satisfaction_field": "follow_up_satisfaction",
    "complaint_process": "complaint_handling",
}


@dataclass(frozen=True, slots=True)
class Scope:
    """What a report looks at: a time range, maybe one process, field options.

    The range is read as ``AuditFilter`` reads it (a date is an office day).
    """

    since: datetime | date | None
    until: datetime | date | None
    process_id: str | None
    now: datetime
    options: Mapping[str, str]

    def events(
        self, session: Session, *types: str, process_id: str | None = None
    ) -> Iterator[ChainEntry]:
        return iter_entries(
            session,
            AuditFilter(
                process_id=process_id or self.process_id,
                event_types=types,
                since=self.since,
                until=self.until,
            ),
        )


def decisions(data: Mapping[str, Any]) -> list[str]:
    """Approval decisions in submitted data: ``decision`` or ``*_decision`` fields."""
    return [
        str(v)
        for k, v in sorted(data.items())
        if (k == "decision" or k.endswith("_decision")) and isinstance(v, str)
    ]


def approvals_by_approver(session: Session, scope: Scope) -> list[tuple[Any, ...]]:
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for entry in scope.events(session, "task_completed"):
        tally = counts[entry.actor]
        tally["tasks"] += 1
        for verdict in decisions(submitted(entry.event_type, entry.payload)):
            tally["decisions"] += 1
            tally[_VERDICTS.get(verdict.lower(), "other")] += 1
    return [
        (
            who,
            c["tasks"],
            c["decisions"],
            c["approved"],
            c["returned"],
            c["rejected"],
            c["other"],
        )
        for who, c in sorted(counts.items())
    ]


def self_approvals(session: Session, scope: Scope) -> list[tuple[Any, ...]]:
    candidates = [
        e
        for e in scope.events(session, "task_completed")
        if e.instance_id is not None and decisions(e.payload.get("data") or {})
    ]
    starters = _starters(session, {e.instance_id for e in candidates if e.instance_id})
    return [
        (e.at, e.instance_id, e.business_key, e.process_id, e.bpmn_id, e.actor,
         ", ".join(decisions(e.payload.get("data") or {})))
        for e in candidates
        if starters.get(e.instance_id or 0) == e.actor
    ]  # fmt: skip


def _starters(session: Session, instance_ids: Iterable[int]) -> dict[int, str]:
    found: dict[int, str] = {}
    for chunk in _chunks(sorted(instance_ids)):
        query = select(AuditEvent.instance_id, AuditEvent.actor).where(
            AuditEvent.event_type == "instance_started",
            AuditEvent.instance_id.in_(chunk),
        )
        found.update((int(i or 0), actor) for i, actor in session.execute(query))
    return found


def overdue_steps(session: Session, scope: Scope) -> list[tuple[Any, ...]]:
    due: dict[str, tuple[ChainEntry, datetime]] = {}
    for entry in scope.events(session, "task_created"):
        due_at = parse_time(entry.payload.get("due_at"))
        if due_at is not None and entry.task_id:
            due[entry.task_id] = (entry, due_at)
    closed = _closings(
        session, {e.instance_id for e, _ in due.values() if e.instance_id}
    )
    rows = []
    for task_id, (created, due_at) in due.items():
        end = closed.get(task_id)
        finished_at = end.at if end else None
        if (finished_at or scope.now) <= due_at:
            continue
        late = (finished_at or scope.now) - due_at
        rows.append((
            created.instance_id, created.business_key, created.process_id,
            created.bpmn_id, due_at, finished_at, end.actor if end else None,
            end.event_type if end else "open", round(late.total_seconds() / 3600, 1),
        ))  # fmt: skip
    return sorted(rows, key=lambda r: (r[4], r[0] or 0))


def _closings(session: Session, instance_ids: Iterable[int]) -> dict[str, ChainEntry]:
    found: dict[str, ChainEntry] = {}
    for chunk in _chunks(sorted(instance_ids)):
        query = select(AuditEvent).where(
            AuditEvent.instance_id.in_(chunk),
            AuditEvent.event_type.in_(["task_completed", "task_cancelled"]),
        )
        for row in session.scalars(query):
            found.setdefault(row.task_id or "", to_chain_entry(row))
    return found


def payouts_by_month_branch(session: Session, scope: Scope) -> list[tuple[Any, ...]]:
    """Station and branch rewards per payout month and branch, as last recorded.

    Each payout instance's lists of results (set by the engine's computation and by
    corrections, both on the trail as ``data_computed``) are taken in their latest
    recorded form; a paid instance is one that completed, a cancelled one is shown apart.
    """
    options = scope.options
    month_field, branch_field = options["month_field"], options["branch_field"]
    lists = {
        options["station_list"]: options["station_amount"],
        options["branch_list"]: options["branch_amount"],
    }
    process = scope.process_id or options["payout_process"]
    latest: dict[int, dict[str, Any]] = defaultdict(dict)
    status: dict[int, str] = {}
    for entry in scope.events(session, *_DATA_EVENTS, *_ENDS, process_id=process):
        key = entry.instance_id or 0
        if entry.event_type in _ENDS:
            status[key] = _ENDS[entry.event_type]
        # A called process edits the lists it was handed (corrections): any scope.
        values = submitted(entry.event_type, entry.payload, any_scope=True)
        values.update(with_appended(latest[key], entry.payload))
        latest[key].update(
            {k: values[k] for k in (month_field, *lists) if k in values}
        )
    totals: dict[tuple[str, str, str], list[Any]] = defaultdict(
        lambda: [set(), Decimal(0), Decimal(0)]
    )
    for key, known in latest.items():
        month = str(known.get(month_field, ""))
        for column, (list_name, amount) in enumerate(lists.items(), start=1):
            for item in known.get(list_name) or ():
                money = _decimal(item.get(amount)) if isinstance(item, Mapping) else None
                if money is None:
                    continue
                row = totals[(month, str(item.get(branch_field, "")), status.get(key, "open"))]
                row[0].add(key)
                row[column] += money
    return [
        (m, b, s, len(t[0]), f"{t[1]:.2f}", f"{t[2]:.2f}", f"{t[1] + t[2]:.2f}")
        for (m, b, s), t in sorted(totals.items())
    ]


def complaints_by_outcome(session: Session, scope: Scope) -> list[tuple[Any, ...]]:
    field = scope.options["satisfaction_field"]
    process = scope.process_id or scope.options["complaint_process"]
    status: dict[int, tuple[str, str]] = {}
    satisfaction: dict[int, str] = {}
    for entry in scope.events(session, "task_completed", *_ENDS, process_id=process):
        key = entry.instance_id or 0
        if entry.event_type in _ENDS:
            status[key] = _standing(entry)
        value = submitted(entry.event_type, entry.payload).get(field)
        if value is not None:
            satisfaction[key] = str(value)
    tally = Counter(
        (*status.get(k, ("open", "")), satisfaction.get(k, ""))
        for k in set(status) | set(satisfaction)
    )
    return [(state, outcome, sat, count)
            for (state, outcome, sat), count in sorted(tally.items())]


def _standing(entry: ChainEntry) -> tuple[str, str]:
    """How an event leaves an instance, and a completion's recorded outcome: "none"
    when its end event named none, "unrecorded" when it predates them (0010)."""
    if entry.event_type != "instance_completed":
        return _ENDS[entry.event_type], ""
    return "completed", str(entry.payload.get("outcome", "unrecorded") or "none")


Builder = Callable[[Session, Scope], list[tuple[Any, ...]]]
# name: (title, English title, column names, builder)
REPORTS: dict[str, tuple[str, str, str, Builder]] = {
    "approvals_by_approver": (
        "按审批人统计", "Approvals by approver",
        "approver tasks_completed decisions approved returned rejected other",
        approvals_by_approver,
    ),
    "self_approvals": (
        "发起人自行审批", "Self-approvals attempted (initiator = approver)",
        "at instance_id business_key process_id step approver decision",
        self_approvals,
    ),
    "overdue_steps": (
        "逾期步骤", "Overdue steps",
        "instance_id business_key process_id step due_at closed_at closed_by outcome "
        "hours_late",
        overdue_steps,
    ),
    "payouts_by_month_branch": (
        "按月份和支局的兑现总额", "Payout totals per month and branch",
        "month branch status instances station_rewards branch_rewards total",
        payouts_by_month_branch,
    ),
    "complaints_by_outcome": (
        "投诉结果与满意度", "Complaints by outcome and satisfaction",
        "status outcome satisfaction complaints",
        complaints_by_outcome,
    ),
}  # fmt: skip


def run(session: Session, name: str, scope: Scope) -> ReportInfo:
    if name not in REPORTS:
        raise InvalidInput(
            f"unknown report {name!r}; choose one of {', '.join(REPORTS)}"
        )
    title, title_en, columns, build = REPORTS[name]
    return ReportInfo(
        name=name,
        title=title,
        title_en=title_en,
        columns=tuple(columns.split()),
        rows=tuple(build(session, scope)),
    )


def _decimal(value: Any) -> Decimal | None:
    try:
        money = Decimal(str(value))
    except InvalidOperation:
        return None
    return money if money.is_finite() else None


def _chunks(values: list[int]) -> Iterator[list[int]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start : start + _CHUNK]
