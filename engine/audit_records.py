"""Frozen records of the auditor's view: search pages, timelines, reports, verification.

Like ``engine/records.py`` these are plain values, safe to render or serialise after the
transaction closed; no ORM row or SpiffWorkflow object ever ends up in one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import Enum
from typing import Any


@dataclass(frozen=True, slots=True)
class AuditFilter:
    """What an auditor searches for; every field left empty matches everything.

    ``user`` matches a user name or display name, or the start of one. ``since`` and
    ``until`` are instants (``until`` exclusive) or office days (a ``date``, in the
    engine's time zone: from the start of ``since`` to the end of ``until``).
    """

    process_id: str | None = None
    instance_id: int | None = None
    business_key: str | None = None
    user: str | None = None
    event_types: tuple[str, ...] = ()
    since: datetime | date | None = None
    until: datetime | date | None = None


@dataclass(frozen=True, slots=True)
class ChainEntry:
    """One audit event with its place in the hash chain."""

    id: int
    seq: int
    at: datetime
    actor: str
    event_type: str
    process_id: str | None
    business_key: str | None
    instance_id: int | None
    task_id: str | None
    bpmn_id: str | None
    payload: Mapping[str, Any]
    prev_hash: str
    content_hash: str
    row_hash: str


@dataclass(frozen=True, slots=True)
class AuditPage:
    """One page of search results, newest first; pass ``next_cursor`` for the next."""

    entries: tuple[ChainEntry, ...]
    next_cursor: str | None


@dataclass(frozen=True, slots=True)
class DataChange:
    """One instance variable changed by a step (``before`` is None when it is new)."""

    key: str
    before: Any
    after: Any
    appended: bool = False  # ``after`` is only what was added at the end of ``key``


@dataclass(frozen=True, slots=True)
class DecisionInfo:
    """A DMN decision of a business rule task: inputs, the rule that hit, outputs."""

    decision_id: str
    inputs: Mapping[str, Any]
    rule_id: str | None
    outputs: Mapping[str, Any]
    name: str = ""
    hit_policy: str = ""
    rows: tuple[int, ...] = ()  # the table rows that matched, in order


class Deadline(str, Enum):
    """How a step with a due time ended up."""

    MET = "met"
    MISSED = "missed"
    OVERDUE = "overdue"  # still open after its due time
    PENDING = "pending"  # still open, not due yet


@dataclass(frozen=True, slots=True)
class TimelineStep:
    """One event of an instance as the auditor's timeline shows it."""

    event_id: int
    seq: int
    at: datetime
    actor: str
    event_type: str
    bpmn_id: str | None
    task_id: str | None
    title: str | None
    duration: timedelta | None
    due_at: datetime | None
    deadline: Deadline | None
    changes: tuple[DataChange, ...]
    decision: DecisionInfo | None
    escalation: bool
    details: Mapping[str, Any] = field(default_factory=dict)
    title_en: str | None = None


@dataclass(frozen=True, slots=True)
class InstanceTimeline:
    instance_id: int
    process_id: str
    business_key: str | None
    started_by: str
    started_at: datetime
    ended_at: datetime | None
    status: str
    steps: tuple[TimelineStep, ...]
    version: int | None = None  # the process version the instance runs now


@dataclass(frozen=True, slots=True)
class ReportInfo:
    """A canned report as a table: column names and rows of plain values."""

    name: str
    title: str
    title_en: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]


class ProblemKind(str, Enum):
    """What happened to the first event where the chain breaks."""

    ALTERED = "altered"
    DELETED = "deleted"
    INSERTED = "inserted"
    REORDERED = "reordered"


@dataclass(frozen=True, slots=True)
class ChainProblem:
    """The first break in the chain: what kind, at which event, and why we think so."""

    kind: ProblemKind
    event_id: int | None
    seq: int | None
    detail: str


@dataclass(frozen=True, slots=True)
class VerificationResult:
    """The outcome of a chain walk; ``head_*`` is the anchor an auditor can note."""

    ok: bool
    checked: int
    head_seq: int
    head_hash: str
    problem: ChainProblem | None = None
    source: str = "database"
    # Places where a (filtered) export skips positions of the chain: what is missing
    # there was not checked.
    gaps: int = 0

    def summary(self) -> str:
        if self.ok:
            unchecked = (
                f"; {self.gaps} gap(s) in seq between exported events were not "
                f"checked (verify the database or an instance record for that)"
                if self.gaps
                else ""
            )
            return (
                f"audit chain intact: {self.checked} event(s) from the {self.source}; "
                f"head seq {self.head_seq} hash {self.head_hash}{unchecked}"
            )
        problem = self.problem
        assert problem is not None
        return (
            f"audit chain BROKEN ({self.source}): event {problem.event_id} "
            f"(seq {problem.seq}) {problem.kind.value}: {problem.detail}"
        )


@dataclass(frozen=True, slots=True)
class SubmittedForm:
    """A task completion shown on the form version the person filled in.

    ``digest_matches`` tells whether the recorded data still hashes to the
    ``data_sha256`` recorded with it; ``form`` is parsed from the stored bytes whose
    sha256 the event names.
    """

    event_id: int
    seq: int
    instance_id: int | None
    bpmn_id: str | None
    title: str | None
    title_en: str | None
    actor: str
    at: datetime
    form_key: str
    form_version: str
    form: Any  # forms.FormSpec
    data: Mapping[str, Any]
    data_sha256: str
    digest_matches: bool
