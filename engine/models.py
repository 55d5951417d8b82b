"""ORM rows. Tables only: no behaviour, no queries, nothing that leaves ``engine/``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from engine.db import Base, UTCDateTime


class UserGroup(Base):
    __tablename__ = "user_group"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    title_en: Mapped[str] = mapped_column(String(200))


class AppUser(Base):
    __tablename__ = "app_user"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    language: Mapped[str] = mapped_column(String(8))
    email: Mapped[str | None] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Membership(Base):
    __tablename__ = "membership"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("app_user.id", ondelete="CASCADE"), primary_key=True
    )
    group_name: Mapped[str] = mapped_column(
        ForeignKey("user_group.name"), primary_key=True
    )


class Definition(Base):
    """One immutable version of one deployed BPMN or DMN file."""

    __tablename__ = "definition"
    __table_args__ = (UniqueConstraint("kind", "def_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))
    def_id: Mapped[str] = mapped_column(String(128), index=True)
    version: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(255))
    name_en: Mapped[str | None] = mapped_column(String(255))
    file_name: Mapped[str] = mapped_column(String(255))
    source: Mapped[bytes] = mapped_column(LargeBinary)
    sha256: Mapped[str] = mapped_column(String(64))
    deployed_by: Mapped[str] = mapped_column(String(64))
    deployed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    comment: Mapped[str] = mapped_column(Text, default="")


class ProcessVersion(Base):
    """An executable bundle: a process file pinned to the decisions and callees it uses."""

    __tablename__ = "process_version"
    __table_args__ = (UniqueConstraint("process_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    process_id: Mapped[str] = mapped_column(String(128), index=True)
    version: Mapped[int] = mapped_column(Integer)
    definition_ids: Mapped[list[int]] = mapped_column(JSON)
    bundle_sha256: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(255))
    name_en: Mapped[str | None] = mapped_column(String(255))
    description: Mapped[str] = mapped_column(Text, default="")
    description_en: Mapped[str | None] = mapped_column(Text)
    start_groups: Mapped[list[str]] = mapped_column(JSON)
    start_form_key: Mapped[str | None] = mapped_column(String(128))
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ProcessInstance(Base):
    __tablename__ = "process_instance"
    __table_args__ = (Index("ix_instance_status_process", "status", "process_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    process_version_id: Mapped[int] = mapped_column(ForeignKey("process_version.id"))
    process_id: Mapped[str] = mapped_column(String(128))
    business_key: Mapped[str | None] = mapped_column(String(128), index=True)
    status: Mapped[str] = mapped_column(String(16))
    started_by: Mapped[str] = mapped_column(String(64), index=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # How a completed instance ended: the ``outcome`` its final end event names.
    outcome: Mapped[str | None] = mapped_column(String(16))
    incident: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    state: Mapped[str] = mapped_column(Text)
    serializer_version: Mapped[str] = mapped_column(String(32))
    row_version: Mapped[int] = mapped_column(Integer)
    # Random per save (engine/instances.py): a cached workflow is reused only when its
    # token matches, so a rolled-back save or another process's save is never reused.
    state_token: Mapped[str | None] = mapped_column(String(32))

    __mapper_args__ = {"version_id_col": row_version}


class HumanTask(Base):
    """Inbox projection of user and manual tasks, refreshed in the same transaction."""

    __tablename__ = "human_task"
    __table_args__ = (
        Index("ix_human_task_state_lane", "state", "lane"),
        Index("ix_human_task_state_assignee", "state", "assignee"),
        # An instance's open tasks without reading its finished ones (long loops).
        Index("ix_human_task_instance_state", "instance_id", "state"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    instance_id: Mapped[int] = mapped_column(
        ForeignKey("process_instance.id"), index=True
    )
    process_id: Mapped[str] = mapped_column(String(128))
    bpmn_id: Mapped[str] = mapped_column(String(128))
    title: Mapped[str] = mapped_column(String(255))
    title_en: Mapped[str | None] = mapped_column(String(255))
    # What this task of many alike is about (a station's name), from its "subject".
    subject: Mapped[str | None] = mapped_column(String(200))
    lane: Mapped[str | None] = mapped_column(String(64))
    form_key: Mapped[str | None] = mapped_column(String(128))
    assignee: Mapped[str | None] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    priority: Mapped[int] = mapped_column(Integer, default=0)
    completed_by: Mapped[str | None] = mapped_column(String(64))
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class ArchivedTask(Base):
    """A finished Spiff task moved out of an instance's live state (engine/history.py).

    Append-only. ``payload`` is engine/store.py's record: spec, state, parent and the
    task's data as a patch against its parent's, so stored history grows linearly.
    """

    __tablename__ = "archived_task"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    instance_id: Mapped[int] = mapped_column(
        ForeignKey("process_instance.id"), index=True
    )
    task_id: Mapped[str] = mapped_column(String(36))
    payload: Mapped[str] = mapped_column(Text)


class Timer(Base):
    """A waiting timer event with its due time, so a worker never scans instances."""

    __tablename__ = "timer"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    instance_id: Mapped[int] = mapped_column(
        ForeignKey("process_instance.id"), index=True
    )
    task_id: Mapped[str] = mapped_column(String(36))
    bpmn_id: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(16))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class StartTimer(Base):
    """When the engine next starts an instance of a process with a timer start event.

    BPMN starts a new instance per timer occurrence; SpiffWorkflow would instead loop
    inside one instance, so the schedule lives here and the start event runs as plain.
    """

    __tablename__ = "start_timer"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    process_id: Mapped[str] = mapped_column(String(128), unique=True)
    bpmn_id: Mapped[str] = mapped_column(String(128))
    expression: Mapped[str] = mapped_column(String(255))
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    fired_count: Mapped[int] = mapped_column(Integer, default=0)


class AuditEvent(Base):
    """Append-only: the engine has no code path that updates or deletes these rows."""

    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor: Mapped[str] = mapped_column(String(64))
    event_type: Mapped[str] = mapped_column(String(64))
    instance_id: Mapped[int | None] = mapped_column(Integer)
    task_id: Mapped[str | None] = mapped_column(String(36))
    bpmn_id: Mapped[str | None] = mapped_column(String(128))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    # Hash chain (engine/auditchain.py): ``seq`` is the position in the chain, given under
    # the lock on ``audit_chain_head``; process id and business key are copied from the
    # instance so auditors can search by them without a join, and are hashed with the rest.
    seq: Mapped[int] = mapped_column(BigInteger, unique=True)
    process_id: Mapped[str | None] = mapped_column(String(128))
    business_key: Mapped[str | None] = mapped_column(String(128))
    prev_hash: Mapped[str] = mapped_column(String(64))
    content_hash: Mapped[str] = mapped_column(String(64))
    row_hash: Mapped[str] = mapped_column(String(64))

    # Keyset paging orders by (at, seq): each filter has an index ending in (at, seq).
    __table_args__ = (
        Index("ix_audit_event_at_seq", "at", "seq"),
        Index("ix_audit_event_instance_at_seq", "instance_id", "at", "seq"),
        Index("ix_audit_event_process_at_seq", "process_id", "at", "seq"),
        Index("ix_audit_event_key_at_seq", "business_key", "at", "seq"),
        Index("ix_audit_event_actor_at_seq", "actor", "at", "seq"),
        Index("ix_audit_event_type_at_seq", "event_type", "at", "seq"),
    )


class AuditChainHead(Base):
    """The newest link of the audit hash chain: one row, locked by every appender."""

    __tablename__ = "audit_chain_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger)
    row_hash: Mapped[str] = mapped_column(String(64))


# --- Deadlines: jobs, notifications, outbox, messages (migration 0004) -----------------


class Job(Base):
    """Background work with a due time: claimed under a lease, retried with back-off.

    A finished job is deleted; one that keeps failing stays as ``failed`` (an incident).
    Claiming pushes ``run_at`` to the end of the lease, so a killed worker's job comes due
    again by itself.
    """

    __tablename__ = "job"
    __table_args__ = (Index("ix_job_state_run_at", "state", "run_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    key: Mapped[str | None] = mapped_column(String(160), unique=True)
    instance_id: Mapped[int | None] = mapped_column(Integer, index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    state: Mapped[str] = mapped_column(String(16))
    run_at: Mapped[datetime] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer)
    locked_by: Mapped[str | None] = mapped_column(String(128))
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Notification(Base):
    """One in-app notice for one user: Chinese in title/body, English in *_en.

    Rows written before migration 0011 have no English text and hold the text in the
    language their recipient had then.
    """

    __tablename__ = "notification"
    __table_args__ = (Index("ix_notification_user_read", "username", "read_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(255))
    body: Mapped[str] = mapped_column(Text)
    title_en: Mapped[str | None] = mapped_column(String(255))
    body_en: Mapped[str | None] = mapped_column(Text)
    instance_id: Mapped[int | None] = mapped_column(Integer)
    task_id: Mapped[str | None] = mapped_column(String(36))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class OutboxMessage(Base):
    """An e-mail or SMS written with the state change; a job sends it after commit."""

    __tablename__ = "outbox_message"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(8))
    recipient: Mapped[str] = mapped_column(String(255))
    subject: Mapped[str] = mapped_column(String(255))
    body: Mapped[str] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(8))
    instance_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class SmsOutbox(Base):
    """Text messages handed to the default SMS sender, for a gateway to collect."""

    __tablename__ = "sms_outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    phone: Mapped[str] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class MessageSubscription(Base):
    """A message event or receive task an instance waits at, with its correlation key."""

    __tablename__ = "message_subscription"
    __table_args__ = (
        Index("ix_message_subscription_name_key", "message_name", "correlation_key"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    instance_id: Mapped[int] = mapped_column(
        ForeignKey("process_instance.id"), index=True
    )
    task_id: Mapped[str] = mapped_column(String(36))
    bpmn_id: Mapped[str] = mapped_column(String(128))
    message_name: Mapped[str] = mapped_column(String(128))
    correlation_key: Mapped[str | None] = mapped_column(String(128))


class InboundMessage(Base):
    """A message that arrived before anyone waited for it, kept until ``expires_at``."""

    __tablename__ = "inbound_message"
    __table_args__ = (
        Index("ix_inbound_message_name_key", "message_name", "correlation_key", "state"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    message_name: Mapped[str] = mapped_column(String(128))
    correlation_key: Mapped[str | None] = mapped_column(String(128))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    state: Mapped[str] = mapped_column(String(16))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    sent_by: Mapped[str] = mapped_column(String(64))
    delivered_to: Mapped[int | None] = mapped_column(Integer)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class MessageStart(Base):
    """A process whose start event waits for a message: each delivery starts an instance."""

    __tablename__ = "message_start"
    __table_args__ = (UniqueConstraint("process_id", "message_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    process_id: Mapped[str] = mapped_column(String(128))
    bpmn_id: Mapped[str] = mapped_column(String(128))
    message_name: Mapped[str] = mapped_column(String(128), index=True)


class DefinitionDraft(Base):
    """An admin's unsaved edit of a BPMN, DMN or form file, kept until deployed.

    One draft per file: admins share it, and ``row_version`` stops one silently
    overwriting another's save.
    """

    __tablename__ = "definition_draft"
    __table_args__ = (UniqueConstraint("kind", "def_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))
    def_id: Mapped[str] = mapped_column(String(128))
    file_name: Mapped[str] = mapped_column(String(255))
    source: Mapped[bytes] = mapped_column(LargeBinary)
    base_version: Mapped[int | None] = mapped_column(Integer)
    comment: Mapped[str] = mapped_column(Text, default="")
    saved_by: Mapped[str] = mapped_column(String(64))
    saved_at: Mapped[datetime] = mapped_column(UTCDateTime())
    row_version: Mapped[int] = mapped_column(Integer)

    __mapper_args__ = {"version_id_col": row_version}


class FormSource(Base):
    """Every version of a form that was deployed or used, kept by its sha256.

    A completed task records the sha256 of the form the person saw; this table keeps
    that form's bytes, so "what did they approve" can be shown long after the form file
    changed. Rows are only added.
    """

    __tablename__ = "form_source"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    form_key: Mapped[str] = mapped_column(String(128), index=True)
    source: Mapped[bytes] = mapped_column(LargeBinary)
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime())
    first_seen_by: Mapped[str] = mapped_column(String(64))


class LiveForm(Base):
    """The version of a form that new work uses, when deployed from the admin area.

    Every process reads it, so a deploy is seen everywhere at its commit; a key without
    a row is served from the form file shipped in the forms folder.
    """

    __tablename__ = "live_form"

    form_key: Mapped[str] = mapped_column(String(128), primary_key=True)
    sha256: Mapped[str] = mapped_column(ForeignKey("form_source.sha256"))
    deployed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    deployed_by: Mapped[str] = mapped_column(String(64))
