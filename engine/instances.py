"""Load and save process instances and build their records. Never commits.

Loading checks the optimistic ``row_version``; saving writes the live state, the
archived history, the inbox projection and the timer rows together, so they never
disagree.
A workflow saved by this process is kept in memory (engine/cache.py) and reused by the
next locked load of the same instance while its ``state_token`` still matches.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast
from uuid import UUID, uuid4

from sqlalchemy import Integer, String, Table, and_, bindparam, insert, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from engine import (
    audit,
    corewrites,
    deadlines,
    directsql,
    definitions,
    history,
    liveforms,
    steplog,
    store,
    timers,
    worklist,
)
from engine.cache import for_bind
from engine.definitions import LoadedSpec
from engine.errors import ConcurrentUpdate, InstanceNotRunnable, NotFound
from engine.models import (
    AppUser,
    ArchivedTask,
    HumanTask,
    LiveForm,
    ProcessInstance,
    ProcessVersion,
)
from engine.records import (
    Actor,
    IncidentInfo,
    InstanceInfo,
    InstanceStatus,
    Outcome,
    StepInfo,
    TaskState,
)
from engine.runtime import Ending, ending, is_finished, ready_human_tasks
from engine.values import plain

# session.info keys: rows this unit of work holds a lock on, ORM rows kept alive for it
# (the identity map is weak, so a second ``session.get`` would query again), and the
# inbox rows a save just left open (so ``to_info`` need not read them back).
_LOCKED = "signoff.locked_instances"
_PINNED = "signoff.pinned_rows"
_STEPS = "signoff.open_tasks"
_PENDING = "signoff.pending_archive"  # history trimmed at load, written by next save
_ENDINGS = "signoff.endings"  # how an instance this save finished ended, for its audit
_ARCHIVE = cast(Table, ArchivedTask.__table__)
_ARCHIVE_INSERT = insert(_ARCHIVE)


# The statements of ``get`` and ``get_for_task``, built once: building and keying
# them on every call costs more than running them. ``:task_id`` is the task's id.
_TASK_ID = bindparam("task_id", type_=String())
_OWNER = select(HumanTask.instance_id).where(HumanTask.id == _TASK_ID).scalar_subquery()
# Either branch of the OR can use an index on its own ((instance_id, state) and the
# primary key), so the read never walks the instance's finished tasks; the task asked
# for belongs to the instance, which is chosen as its owner.
_OPEN = or_(and_(HumanTask.instance_id == ProcessInstance.id,
                 HumanTask.state == TaskState.READY.value),
            HumanTask.id == _TASK_ID)
_VERSION_OF = ProcessVersion.id == ProcessInstance.process_version_id
_INSTANCE = (select(ProcessInstance, ProcessVersion)
             .join(ProcessVersion, _VERSION_OF)
             .where(ProcessInstance.id == _OWNER)
             .execution_options(populate_existing=True))
_BY_ID = (select(ProcessInstance, ProcessVersion)
          .join(ProcessVersion, _VERSION_OF)
          .where(ProcessInstance.id == bindparam("instance_id", type_=Integer())))
# Lock the instance only: concurrent steps of other instances share the version.
_BY_ID_LOCKED = _BY_ID.with_for_update(of=ProcessInstance)
# Each task comes with the live version of its form, if one was deployed to the
# database (engine/liveforms.py), so validating a completion needs no query of its own.
_LIVE_FORM = LiveForm.form_key == HumanTask.form_key
# SQLite only, where BEGIN IMMEDIATE already holds the write lock: the audit chain's
# head comes along too, so the append at commit need not read it (audit.HEAD_COLUMNS).
# Whether the acting account is still active comes along too (None: no account, the
# system): an Actor made before a deactivation must not complete anything.
_ACTOR_ACTIVE = (select(AppUser.active)
                 .where(AppUser.username == bindparam("actor", type_=String()))
                 .scalar_subquery())
_INSTANCE_AND_TASKS = (_INSTANCE.add_columns(HumanTask, LiveForm.sha256,
                                             *audit.HEAD_COLUMNS, _ACTOR_ACTIVE)
                       .join(HumanTask, _OPEN).outerjoin(LiveForm, _LIVE_FORM))
_LOCK_INSTANCE = _INSTANCE.with_for_update(of=ProcessInstance)
_INSTANCE_ID = bindparam("instance_id", type_=Integer())
# PostgreSQL, after the lock: the instance id is known by then, and as a parameter each
# branch of the OR is one index probe. (Joined to the instance instead, the planner may
# read every open task of every instance.)
_TASKS = (select(HumanTask, LiveForm.sha256, _ACTOR_ACTIVE)
          .outerjoin(LiveForm, _LIVE_FORM)
          .where(or_(and_(HumanTask.instance_id == _INSTANCE_ID,
                          HumanTask.state == TaskState.READY.value),
                     HumanTask.id == _TASK_ID))
          .execution_options(populate_existing=True))


def get(session: Session, instance_id: int, *, expected_version: int | None = None,
        lock: bool = False) -> ProcessInstance:
    """Read an instance with its process version in one query (row-locked if asked)."""
    query = _BY_ID_LOCKED if lock else _BY_ID
    found = session.execute(query, {"instance_id": instance_id}).first()
    if found is None:
        raise NotFound(f"no instance {instance_id}", kind="instance", key=str(instance_id))
    row, version = found
    _hold(session, row, version, lock=lock)
    require_version(row, expected_version)
    return row


def get_for_task(session: Session, task_id: UUID, *, actor: str
                 ) -> tuple[ProcessInstance, HumanTask, bool | None]:
    """Lock the instance a task belongs to; return it with the task read after the lock.

    The open inbox rows of the instance are read too and handed to ``worklist.sync``,
    so the save need not read them again, each with its form's live version (handed to
    ``liveforms``, so validating the submission sends no query). SQLite's BEGIN
    IMMEDIATE already holds the database's only write lock, so one statement reads
    everything; PostgreSQL reads the tasks in a second statement after the row lock,
    so a racer sees the winner's commit. The third value is whether ``actor``'s account
    is active (None when there is no such account: the system). The version the
    caller saw is checked by ``require_version``, after the checks that say more.
    """
    key = {"task_id": str(task_id), "actor": actor}
    tasks: list[tuple[HumanTask, str | None]]
    found: list[Any]
    active: bool | None = None
    if session.get_bind().dialect.name == "sqlite":
        found = list(session.execute(_INSTANCE_AND_TASKS, key))
        tasks = [(task, live) for _row, _version, task, live, *_rest in found]
        if found:
            audit.remember_head(session, *found[0][4:7])
            active = found[0][7]
    else:
        found = list(session.execute(_LOCK_INSTANCE, key))
        read: list[Any] = (list(session.execute(
            _TASKS, {**key, "instance_id": found[0][0].id}))
                if found else [])
        tasks = [(task, live) for task, live, _active in read]
        active = read[0][2] if read else None
    liveforms.note(session, {t.form_key: live for t, live in tasks if t.form_key})
    rows = [t for t, _live in tasks]
    task = next((r for r in rows if r.id == key["task_id"]), None)
    if not found or task is None:
        raise NotFound(f"no task {task_id}", kind="task")
    row, version = found[0][0], found[0][1]
    _hold(session, row, version, lock=True)
    worklist.remember_open(session, row.id, [r for r in rows
                                             if r.state == TaskState.READY.value])
    return row, task, active


def _hold(session: Session, row: ProcessInstance, version: ProcessVersion, *,
          lock: bool) -> None:
    session.info.setdefault(_PINNED, []).append(version)
    if lock:
        session.info.setdefault(_LOCKED, set()).add(row.id)


def require_version(row: ProcessInstance, expected_version: int | None) -> None:
    """Refuse a change made from a page that showed an older version of ``row``."""
    if expected_version is not None and row.row_version != expected_version:
        raise ConcurrentUpdate(
            f"instance {row.id} was changed by someone else; reload and try again")


def require_running(row: ProcessInstance, action: str = "complete") -> None:
    if row.status != InstanceStatus.RUNNING.value:
        raise InstanceNotRunnable(f"instance {row.id} is {row.status}",
                                  instance_id=row.id, status=row.status, action=action)


def open_workflow(session: Session, row: ProcessInstance,
                  script_engine: Any) -> tuple[LoadedSpec, Any]:
    """Return the spec bundle and workflow of an instance (cached if locked, fresh)."""
    version = session.get(ProcessVersion, row.process_version_id)
    assert version is not None
    loaded = definitions.load_spec(session, version)
    workflow = None
    if row.id in session.info.get(_LOCKED, ()):
        # Only a caller holding the row lock may take the cached object: it will mutate
        # it, and nobody else can reach the instance until this unit of work ends.
        workflow = for_bind(session.get_bind()).take(row.id, row.state_token)
    if workflow is None:
        workflow = store.load(row.state, loaded, script_engine)
        if row.id in session.info.get(_LOCKED, ()) and (
                row.serializer_version != store.SERIALIZER_VERSION):
            # A whole-tree state from the first format may already be deep enough for
            # Spiff's iterator to stop short (depth 1,000): trim it before the step.
            session.info.setdefault(_PENDING, {})[row.id] = history.compact(workflow)
    workflow.script_engine = script_engine
    if row.id in session.info.get(_LOCKED, ()):
        steplog.begin(workflow)  # a locked open is a step: report what it computes
    timers.note_loaded(session, row.id, workflow)
    return loaded, workflow


def save(session: Session, row: ProcessInstance, workflow: Any, *, actor: Actor,
         now: datetime) -> list[HumanTask]:
    """Write state, archive, projection and timers; mark a finished one completed."""
    finished = is_finished(workflow)
    steplog.record(session, row.id, workflow, actor=actor.username, now=now)
    archived = session.info.get(_PENDING, {}).pop(row.id, [])
    archived += history.compact(workflow)
    token = uuid4().hex
    changes: dict[str, Any] = {"state": store.dump(workflow), "state_token": token,
                               "serializer_version": store.SERIALIZER_VERSION}
    if finished and row.status == InstanceStatus.RUNNING.value:
        end = ending(workflow)
        session.info.setdefault(_ENDINGS, {})[row.id] = end
        changes.update(status=InstanceStatus.COMPLETED.value, ended_at=now,
                       outcome=end.outcome.value if end and end.outcome else None)
    # One plain UPDATE with the version check, not the unit of work (engine/corewrites.py).
    corewrites.update_versioned(session, row, "row_version", **changes)
    if archived:
        directsql.write(session, _ARCHIVE_INSERT, [
            {"instance_id": row.id, "task_id": task_id, "payload": payload}
            for task_id, payload in store.archive_rows(archived)])
    created = worklist.sync(session, row, workflow, actor=actor.username, now=now)
    timers.sync(session, row.id, workflow, finished=finished)
    deadlines.after_save(session, row, workflow, finished=finished, now=now)
    steps = session.info.setdefault(_STEPS, {})
    steps[row.id] = _open_rows(session, workflow, created)
    # Kept alive until the unit of work ends: the audit chain reads its process id and
    # business key at commit, from the session instead of the database.
    session.info.setdefault(_PINNED, []).append(row)
    for_bind(session.get_bind()).put(row.id, token, workflow)
    return created


def ending_of(session: Session, row: ProcessInstance, workflow: Any) -> Ending | None:
    """How a finished instance ended: as its save found it, without a second walk."""
    saved: dict[int, Ending | None] = session.info.get(_ENDINGS, {})
    return saved[row.id] if row.id in saved else ending(workflow)


def _open_rows(session: Session, workflow: Any, created: list[HumanTask]
               ) -> list[HumanTask] | None:
    """The instance's open inbox rows right after ``worklist.sync``, oldest first.

    Rows created now are at hand; older ones only if still in the identity map (None
    when one is not: ``to_info`` then reads them all in one query, as it always did).
    """
    by_id = {row.id: row for row in created}
    rows = []
    for task in ready_human_tasks(workflow):
        row = by_id.get(str(task.id)) or session.identity_map.get(
            identity_key(HumanTask, str(task.id)))
        if row is None:
            return None
        if row.state == TaskState.READY.value:
            rows.append(row)
    return sorted(rows, key=lambda r: r.created_at)


@dataclass(frozen=True, slots=True)
class ArchivedView:
    """What a caller may read of a task that left the live tree: like a Spiff task."""

    id: UUID
    task_spec: Any
    state: int
    data: dict[str, Any]


def find_archived_task(session: Session, row: ProcessInstance, workflow: Any,
                       task_id: UUID) -> ArchivedView | None:
    """A task of this instance that was moved to the archive (None if there is none)."""
    payloads: dict[str, str] = {
        task_id: payload for task_id, payload in session.execute(
            select(ArchivedTask.task_id, ArchivedTask.payload)
            .where(ArchivedTask.instance_id == row.id))}
    live: dict[UUID, Any] = dict(workflow.tasks)
    for sub in workflow.subprocesses.values():
        live.update(sub.tasks)
    record = store.archived_task(payloads, str(task_id), live)
    if record is None:
        return None
    specs = [workflow.spec, *workflow.subprocess_specs.values()]
    spec = next((s.task_specs[record["spec"]] for s in specs
                 if record["spec"] in s.task_specs), None)
    return ArchivedView(task_id, spec, record["state"], record["data"])


def to_info(session: Session, row: ProcessInstance, data: dict[str, Any] | None = None
            ) -> InstanceInfo:
    version = session.get(ProcessVersion, row.process_version_id)
    assert version is not None
    tasks = session.info.get(_STEPS, {}).get(row.id)
    if tasks is None:
        tasks = list(session.scalars(select(HumanTask).where(
            HumanTask.instance_id == row.id, HumanTask.state == TaskState.READY.value)
            .order_by(HumanTask.created_at)))
    steps = tuple(StepInfo(bpmn_id=t.bpmn_id, title=t.title, title_en=t.title_en,
                           kind="user_task", holder=t.assignee or t.lane)
                  for t in tasks)
    incident = None
    if row.incident:
        incident = IncidentInfo(bpmn_id=row.incident.get("bpmn_id"),
                                line=row.incident.get("line"),
                                message=row.incident.get("message", ""),
                                at=datetime.fromisoformat(row.incident["at"]))
    return InstanceInfo(
        id=row.id, process_id=row.process_id, process_name=version.name,
        process_name_en=version.name_en, version=version.version,
        business_key=row.business_key, status=InstanceStatus(row.status),
        started_by=row.started_by, started_at=row.started_at, ended_at=row.ended_at,
        data=plain(data) if data is not None else {}, steps=steps, incident=incident,
        row_version=row.row_version, outcome=Outcome.parse(row.outcome))
