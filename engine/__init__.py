"""Signoff's workflow engine: the public surface only.

Nothing here imports Flask or ``web``; the engine runs from a CLI, a worker or a test.
"""

from __future__ import annotations

from engine.config import EngineConfig
from engine.core import Engine
from engine.errors import (
    AuthenticationFailed,
    ConcurrentUpdate,
    DefinitionInvalid,
    EngineError,
    InstanceNotRunnable,
    InvalidInput,
    InvalidSubmission,
    NotAuthorized,
    NotFound,
    ScriptFailed,
    TaskNotReady,
)
from engine.records import (
    SYSTEM,
    Actor,
    AuditEntry,
    DefinitionInfo,
    DiagramInfo,
    GroupInfo,
    IncidentInfo,
    InstanceInfo,
    InstanceStatus,
    JobInfo,
    MessageInfo,
    NotificationInfo,
    Outcome,
    ProcessInfo,
    Role,
    StepInfo,
    TaskDetail,
    TaskInfo,
    TaskState,
    TimerInfo,
    UserInfo,
)

__all__ = [
    "SYSTEM", "Actor", "AuditEntry", "AuthenticationFailed", "ConcurrentUpdate",
    "DefinitionInfo", "DefinitionInvalid", "DiagramInfo", "Engine", "EngineConfig",
    "EngineError", "GroupInfo", "IncidentInfo", "InstanceInfo", "InstanceNotRunnable",
    "InstanceStatus", "InvalidInput", "JobInfo", "MessageInfo", "NotificationInfo", "InvalidSubmission", "NotAuthorized", "NotFound",
    "Outcome", "ProcessInfo", "Role", "ScriptFailed", "StepInfo", "TaskDetail",
    "TaskInfo", "TaskNotReady", "TaskState", "TimerInfo", "UserInfo",
]
