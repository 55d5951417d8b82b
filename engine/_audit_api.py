"""The auditor's read-only API: search, timelines, reports, exports, chain verification.

Only admins and auditors may call these. Each method is one transaction; exports stream
inside theirs, and check the actor before the first chunk is produced.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import date, datetime

from sqlalchemy.orm import Session

from engine import (
    auditchain,
    auditlines,
    auditrecord,
    auditreports,
    auditsearch,
    audittimeline,
    formarchive,
    identity,
)
from engine._base import EngineBase, data_digest
from engine.audit_records import (
    AuditFilter,
    AuditPage,
    InstanceTimeline,
    ReportInfo,
    SubmittedForm,
    VerificationResult,
)
from engine.errors import InvalidInput, NotFound
from engine.models import AuditEvent
from engine.records import Actor
from forms.spec import parse as parse_form


class AuditAPI(EngineBase):
    def search_audit(
        self,
        filters: AuditFilter | None = None,
        *,
        actor: Actor,
        cursor: str | None = None,
        limit: int = 50,
    ) -> AuditPage:
        """One page of audit events matching ``filters``, newest first.

        Args:
            cursor: ``next_cursor`` of the previous page (keyset paging, any depth).
        Raises:
            NotAuthorized: not an admin or auditor.  InvalidInput: a malformed cursor.
        """
        identity.require_reader(actor)
        with self._tx() as session:
            return auditsearch.search(
                session, filters or AuditFilter(), cursor=cursor, limit=limit
            )

    def instance_timeline(self, instance_id: int, *, actor: Actor) -> InstanceTimeline:
        """Each step of an instance with actor, time, duration, data changes, decisions,
        deadlines and escalations, rebuilt from the audit trail.

        Raises:
            NotAuthorized: not an admin or auditor.  NotFound: no such instance.
        """
        identity.require_reader(actor)
        with self._tx() as session:
            return audittimeline.timeline(session, instance_id, now=self.now())

    def audit_report(
        self,
        name: str,
        *,
        actor: Actor,
        since: datetime | date | None = None,
        until: datetime | date | None = None,
        process_id: str | None = None,
        options: Mapping[str, str] | None = None,
    ) -> ReportInfo:
        """A canned report (``auditreports.REPORTS``) over events in [since, until).

        Args:
            since, until: instants, or office days (a ``date`` in the engine's time
                zone, ``until`` included), as ``AuditFilter`` reads them.
            options: field names to read, overriding ``auditreports.DEFAULT_OPTIONS``.
        Raises:
            NotAuthorized: not an admin or auditor.
            InvalidInput: unknown report or option.
        """
        identity.require_reader(actor)
        unknown = set(options or {}) - set(auditreports.DEFAULT_OPTIONS)
        if unknown:
            raise InvalidInput(
                f"unknown report option(s): {', '.join(sorted(unknown))}"
            )
        scope = auditreports.Scope(
            since=since,
            until=until,
            process_id=process_id,
            now=self.now(),
            options={**auditreports.DEFAULT_OPTIONS, **(options or {})},
        )
        with self._tx() as session:
            return auditreports.run(session, name, scope)

    def list_audit_reports(self, *, actor: Actor) -> list[ReportInfo]:
        """The canned reports by name, title and columns (rows left empty).

        Raises:
            NotAuthorized: not an admin or auditor.
        """
        identity.require_reader(actor)
        return [
            ReportInfo(name, title, title_en, tuple(columns.split()), rows=())
            for name, (title, title_en, columns, _) in auditreports.REPORTS.items()
        ]

    def export_audit(
        self, filters: AuditFilter | None = None, *, fmt: str = "csv", actor: Actor
    ) -> Iterator[str]:
        """Stream every event matching ``filters`` as CSV or JSON Lines text chunks.

        The actor and format are checked now; the rows are read lazily, in one
        transaction that stays open while the caller consumes the iterator.
        Raises:
            NotAuthorized: not an admin or auditor.  InvalidInput: unknown format.
        """
        identity.require_reader(actor)
        if fmt not in auditsearch.FORMATS:
            raise InvalidInput(
                f"export format must be one of {', '.join(auditsearch.FORMATS)}"
            )
        return self._stream(filters or AuditFilter(), fmt)

    def _stream(self, filters: AuditFilter, fmt: str) -> Iterator[str]:
        with self._tx() as session:
            entries = auditsearch.iter_entries(session, filters)
            if fmt == "csv":
                yield from auditsearch.export_csv(entries)
            else:
                yield from auditsearch.export_jsonl(entries)

    def export_instance_record(self, instance_id: int, *, actor: Actor) -> bytes:
        """One instance's whole trail with the chain hashes that let
        ``signoff audit verify --file`` check it offline.

        Raises:
            NotAuthorized: not an admin or auditor.  NotFound: no such instance.
        """
        identity.require_reader(actor)
        with self._tx() as session:
            return auditrecord.build(
                session, instance_id, exported_at=self.now(), exported_by=actor.username
            )

    def verify_audit_chain(self, *, actor: Actor) -> VerificationResult:
        """Walk the whole hash chain and report the first altered, deleted, inserted or
        reordered event. Reads one consistent snapshot.

        Raises:
            NotAuthorized: not an admin or auditor.
        """
        identity.require_reader(actor)
        with self._tx() as session:
            _snapshot(session)
            return auditchain.verify(session)

    def submitted_form(self, event_id: int, *, actor: Actor) -> SubmittedForm:
        """A start or task completion with the exact form version the person saw, from
        the stored form bytes, and whether the data still matches its recorded hash.

        Raises:
            NotAuthorized: not an admin or auditor.  NotFound: no such completion, or
            its form version was never stored (completed before forms were kept).
        """
        identity.require_reader(actor)
        with self._tx() as session:
            row = session.get(AuditEvent, event_id)
            payload = row.payload if row is not None else {}
            key, version = payload.get("form_key"), payload.get("form_version")
            if row is None or row.event_type not in _ON_A_FORM or not key or not version:
                raise NotFound(f"no start or task completion on a form with event id"
                               f" {event_id}")
            stored = formarchive.source_of(session, str(version))
            data = dict(payload.get("data") or {})
            recorded = str(payload.get("data_sha256") or "")
            return SubmittedForm(
                event_id=row.id, seq=row.seq, instance_id=row.instance_id,
                bpmn_id=row.bpmn_id, title=payload.get("title"),
                title_en=payload.get("title_en"), actor=row.actor, at=row.at,
                form_key=str(key), form_version=str(version),
                form=parse_form(str(key), stored.source, file=f"{key}.json"),
                data=data, data_sha256=recorded,
                digest_matches=data_digest(data) == recorded)

    @staticmethod
    def verify_audit_file(data: bytes) -> VerificationResult:
        """Check an exported instance record or JSON Lines export offline (no database
        needed). A JSON Lines export proves each event and the links between
        neighbours; only a record also proves that none of its instance's is missing.

        Raises:
            InvalidInput: the bytes are neither (a CSV export, say), naming what is.
        """
        return auditlines.verify_file(data)


# The events that record data a person entered on a form (with its key and version).
_ON_A_FORM = ("instance_started", "task_completed")


def _snapshot(session: Session) -> None:
    """Read head and rows from one snapshot on PostgreSQL (SQLite always does)."""
    if session.get_bind().dialect.name == "postgresql":
        session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
