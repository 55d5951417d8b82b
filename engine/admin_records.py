"""Frozen records of the admin API: versions, drafts, problems, incidents, migrations.

Plain values like ``engine/records.py``: safe to render after the transaction closed.
They live apart so the admin area can grow without touching the core records.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from engine import xmlsafe
from engine.records import pick

ACTIVE_STATUSES = ("running", "suspended", "error")


@dataclass(frozen=True, slots=True, order=True)
class PinnedFile:
    """One file of a process version's bundle, at the exact version it runs."""

    kind: str
    def_id: str
    version: int
    file_name: str = ""  # as deployed; shown so an admin can tell the file apart


@dataclass(frozen=True, slots=True)
class ProcessVersionInfo:
    """A process version: who made it, why, what it pins, how many instances use it."""

    process_id: str
    version: int
    name: str
    name_en: str | None
    created_by: str
    created_at: datetime
    comment: str
    files: tuple[PinnedFile, ...]
    live: bool
    counts: Mapping[str, int] = field(default_factory=dict)

    def label(self, lang: str) -> str:
        return pick(lang, self.name, self.name_en)

    @property
    def active_count(self) -> int:
        """Instances that still run on this version (running, suspended or in error)."""
        return sum(self.counts.get(status, 0) for status in ACTIVE_STATUSES)


@dataclass(frozen=True, slots=True)
class DraftInfo:
    """An unsaved edit of a BPMN, DMN or form file."""

    kind: str  # "bpmn", "dmn" or "form"
    def_id: str
    file_name: str
    source: bytes
    base_version: int | None
    comment: str
    saved_by: str
    saved_at: datetime
    row_version: int

    @property
    def text(self) -> str:
        """The source as text: XML in the encoding it declares (then named UTF-8)."""
        if self.kind == "form":
            return self.source.decode("utf-8", errors="replace")
        return xmlsafe.text(self.file_name, self.source)


@dataclass(frozen=True, slots=True)
class DefinitionProblem:
    """One reason a file cannot be deployed, tied to the element it concerns."""

    file: str | None
    line: int | None
    element_id: str | None
    message: str
    highlight: tuple[str, ...] = ()
    property_name: str | None = None  # the task property at fault, if one is


@dataclass(frozen=True, slots=True)
class FormInfo:
    """A user-task form as the admin area lists it."""

    key: str
    title: str
    title_en: str
    version: str
    problem: str | None = None


@dataclass(frozen=True, slots=True)
class IncidentEntry:
    """An instance stopped by a failure: which element, which line, what happened."""

    instance_id: int
    process_id: str
    version: int
    business_key: str | None
    kind: str  # "script", "task" (a completion failed) or "timer" (a job failed)
    bpmn_id: str | None
    line: int | None
    message: str
    at: datetime | None


@dataclass(frozen=True, slots=True)
class MigrationBlocker:
    """Why an instance cannot move: an element it is at (or passed) is gone."""

    bpmn_id: str
    state: str  # "active", "waiting", "completed" or "subprocess"
    reason: str


@dataclass(frozen=True, slots=True)
class MigrationResult:
    """What happened (or would happen) to one instance asked to move versions."""

    instance_id: int
    from_version: int
    to_version: int
    migrated: bool
    blockers: tuple[MigrationBlocker, ...] = ()
    message: str = ""
