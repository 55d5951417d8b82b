"""Frozen records handed to callers of the engine.

ORM rows and SpiffWorkflow objects never leave ``engine/``; everything a caller sees is one
of these plain, immutable values, safe to render or serialise after the transaction closed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from uuid import UUID


class Role(str, Enum):
    """What kind of user someone is; groups say which lanes they work in."""

    STAFF = "staff"
    ADMIN = "admin"
    AUDITOR = "auditor"


class InstanceStatus(str, Enum):
    """Lifecycle of a process instance."""

    RUNNING = "running"
    COMPLETED = "completed"
    ERROR = "error"
    CANCELLED = "cancelled"
    SUSPENDED = "suspended"


class Outcome(str, Enum):
    """How a completed instance ended, as named by the end event it reached."""

    APPROVED = "approved"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"
    DONE = "done"

    @classmethod
    def parse(cls, value: object) -> Outcome | None:
        """The outcome a stored or modelled value names (None for anything else)."""
        return next((o for o in cls if o.value == value), None)


class TaskState(str, Enum):
    """Lifecycle of a human task in the inbox projection."""

    READY = "ready"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


@dataclass(frozen=True, slots=True)
class Actor:
    """Who is calling: passed explicitly to every engine call, never read from a global."""

    username: str
    groups: frozenset[str] = frozenset()
    role: Role = Role.STAFF
    language: str = "zh"
    display_name: str = ""

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN

    @property
    def is_auditor(self) -> bool:
        return self.role is Role.AUDITOR


SYSTEM = Actor(username="system", role=Role.ADMIN, display_name="Signoff")


def pick(lang: str, zh: str, en: str | None) -> str:
    """Return the English text for ``en`` readers when there is one, else the Chinese."""
    return en if lang == "en" and en else zh


@dataclass(frozen=True, slots=True)
class GroupInfo:
    name: str
    title: str
    title_en: str
    # What ``ensure_group`` did: "created", "updated" or "unchanged" ("" elsewhere).
    outcome: str = ""


@dataclass(frozen=True, slots=True)
class UserInfo:
    username: str
    display_name: str
    role: Role
    groups: tuple[str, ...]
    language: str
    active: bool
    email: str | None = None

    @property
    def can_take_tasks(self) -> bool:
        """Whether tasks may be given to this user: active, and not a read-only auditor."""
        return self.active and self.role is not Role.AUDITOR


@dataclass(frozen=True, slots=True)
class DefinitionInfo:
    """One deployed version of a BPMN process or a DMN decision."""

    kind: str  # "bpmn" or "dmn"
    def_id: str
    version: int
    name: str
    name_en: str | None
    file_name: str
    sha256: str
    deployed_by: str
    deployed_at: datetime
    comment: str
    created: bool  # False when the deploy found identical content already live
    latest: bool = True

    def label(self, lang: str) -> str:
        return pick(lang, self.name, self.name_en)


@dataclass(frozen=True, slots=True)
class ProcessInfo:
    """A startable process at its live version, as shown on the start page."""

    process_id: str
    version: int
    name: str
    name_en: str | None
    description: str
    description_en: str | None
    start_groups: tuple[str, ...]
    start_form_key: str | None

    def label(self, lang: str) -> str:
        return pick(lang, self.name, self.name_en)

    def describe(self, lang: str) -> str:
        return pick(lang, self.description, self.description_en)


@dataclass(frozen=True, slots=True)
class IncidentInfo:
    """Why an instance stopped: the element, the line in its script, the message."""

    bpmn_id: str | None
    line: int | None
    message: str
    at: datetime


@dataclass(frozen=True, slots=True)
class TaskInfo:
    """A human task as the inbox shows it."""

    id: UUID
    instance_id: int
    process_id: str
    process_name: str
    process_name_en: str | None
    bpmn_id: str
    title: str
    title_en: str | None
    lane: str | None
    form_key: str | None
    assignee: str | None
    state: TaskState
    created_at: datetime
    due_at: datetime | None
    priority: int
    business_key: str | None
    completed_by: str | None = None
    completed_at: datetime | None = None
    subject: str | None = None  # what it is about when many tasks share a title
    # Who asked: the instance's starter and their display name (None: not a user).
    started_by: str | None = None
    started_by_name: str | None = None
    # Its request's status: an open task of a suspended or errored request waits.
    instance_status: InstanceStatus = InstanceStatus.RUNNING

    def label(self, lang: str) -> str:
        return pick(lang, self.title, self.title_en)

    @property
    def on_hold(self) -> bool:
        """Whether this open task cannot be worked on now: its request is not running."""
        return self.state is TaskState.READY and (
            self.instance_status is not InstanceStatus.RUNNING)

    def process_label(self, lang: str) -> str:
        return pick(lang, self.process_name, self.process_name_en)

    def is_overdue(self, now: datetime) -> bool:
        return self.state is TaskState.READY and self.due_at is not None and (
            self.due_at < now
        )


@dataclass(frozen=True, slots=True)
class TaskDetail:
    """Everything the task page needs: the task, its data, instructions, earlier decisions."""

    task: TaskInfo
    data: Mapping[str, object]
    instructions: str
    instructions_en: str | None
    instance_version: int
    history: tuple[AuditEntry, ...] = ()
    # True when the step showed this reader only the data and decisions it names.
    limited: bool = False
    # Why the task waits in its lane's pool although its data named an account:
    # {"reason", "account", "variable"} (engine/assignment.py); None otherwise.
    pooled: Mapping[str, str] | None = None
    # Tasks of a suspended or stopped instance wait; the page says so up front.
    instance_status: InstanceStatus | None = None


@dataclass(frozen=True, slots=True)
class StepInfo:
    """One element an instance is currently at (a person's task or a waiting event)."""

    bpmn_id: str
    title: str
    title_en: str | None
    kind: str  # "user_task", "timer", "message", ...
    holder: str | None  # assignee, or the candidate group when unclaimed

    def label(self, lang: str) -> str:
        return pick(lang, self.title, self.title_en)


@dataclass(frozen=True, slots=True)
class InstanceInfo:
    id: int
    process_id: str
    process_name: str
    process_name_en: str | None
    version: int
    business_key: str | None
    status: InstanceStatus
    started_by: str
    started_at: datetime
    ended_at: datetime | None
    data: Mapping[str, object]
    steps: tuple[StepInfo, ...] = ()
    incident: IncidentInfo | None = None
    row_version: int = 0
    outcome: Outcome | None = None  # set when it completed at an end event naming one

    def process_label(self, lang: str) -> str:
        return pick(lang, self.process_name, self.process_name_en)


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One append-only audit event: who did what, when, to which instance and task."""

    id: int
    at: datetime
    actor: str
    event_type: str
    instance_id: int | None
    task_id: UUID | None
    bpmn_id: str | None
    payload: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class DiagramInfo:
    """The BPMN source an instance runs plus the state of each element, for highlighting."""

    instance_id: int
    process_id: str
    bpmn_xml: str
    completed: tuple[str, ...]
    active: tuple[str, ...]
    waiting: tuple[str, ...]
    errored: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class TimerInfo:
    id: int
    instance_id: int
    bpmn_id: str
    due_at: datetime
    kind: str


@dataclass(frozen=True, slots=True)
class NotificationInfo:
    """One in-app notice: Chinese text, and English text when it was written with it."""

    id: int
    kind: str  # task_created, task_reminder, task_overdue, task_escalated, instance_completed
    title: str
    body: str
    instance_id: int | None
    task_id: str | None
    created_at: datetime
    read_at: datetime | None = None
    title_en: str | None = None
    body_en: str | None = None

    def title_for(self, lang: str) -> str:
        """The title for a reader of ``lang`` ("zh" or "en")."""
        return self.title_en if lang == "en" and self.title_en else self.title

    def body_for(self, lang: str) -> str:
        """The body for a reader of ``lang`` ("zh" or "en")."""
        return self.body_en if lang == "en" and self.body_en else self.body


@dataclass(frozen=True, slots=True)
class MessageInfo:
    """A message handed to the engine: delivered, used to start an instance, or kept."""

    id: int
    name: str
    correlation_key: str | None
    state: str  # delivered, started, kept, expired
    received_at: datetime
    expires_at: datetime
    instance_id: int | None = None


@dataclass(frozen=True, slots=True)
class JobInfo:
    """Background work: pending (maybe leased by a worker) or failed (an incident)."""

    id: int
    kind: str
    state: str
    run_at: datetime
    attempts: int
    max_attempts: int
    instance_id: int | None
    last_error: str | None
    locked_by: str | None
    payload: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class WorkRef:
    """One due piece of work a dispatcher hands to a worker: a timer, a start or a job."""

    kind: str  # "timer" (instance id), "start" (start_timer id) or "job" (job id)
    id: int
