"""The auditor workspace: keyset search, timelines, reports and streamed exports."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from datetime import timedelta
from types import GeneratorType

import pytest
from auditkit import REQUEST, AuditingEngine, Clock, auditing, run_purchase

from engine import (
    Actor,
    AuthenticationFailed,
    Engine,
    InvalidInput,
    NotAuthorized,
    audit,
    auditchain,
)
from engine.audit import AuditType
from engine.audit_records import AuditFilter, Deadline
from engine.auditsearch import CSV_HEADER
from engine.cli import main
from engine.records import SYSTEM, Role


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def office(
    purchase: Engine, actor: Callable[[str], Actor], clock: Clock
) -> AuditingEngine:
    """Three purchases: #1 reviewed in time, #2 late, #3 still waiting (overdue)."""
    auditor = auditing(purchase, clock)
    run_purchase(auditor, actor, key="PO-1", clock=clock)
    clock.advance(days=1)
    staff, supervisor = actor("zhang.wei"), actor("li.na")
    late = auditor.start_instance("two_approver", {}, actor=staff, business_key="PO-2")
    auditor.complete_task(auditor.inbox(staff)[0].id, REQUEST, actor=staff)
    clock.advance(days=4)
    auditor.complete_task(
        auditor.inbox(supervisor)[0].id,
        {"supervisor_decision": "reject", "supervisor_opinion": "no"},
        actor=supervisor,
    )
    auditor.start_instance("two_approver", {}, actor=staff, business_key="PO-3")
    auditor.complete_task(auditor.inbox(staff)[0].id, REQUEST, actor=staff)
    clock.advance(days=5)
    assert late.id == 2
    return auditor


def everything(engine: AuditingEngine, who: Actor, **filters: object) -> list[int]:
    """Seq numbers of every matching event, walking all pages of seven."""
    seen: list[int] = []
    cursor = None
    while True:
        page = engine.search_audit(
            AuditFilter(**filters),
            actor=who,  # type: ignore[arg-type]
            cursor=cursor,
            limit=7,
        )
        seen += [e.seq for e in page.entries]
        if page.next_cursor is None:
            return seen
        cursor = page.next_cursor


def test_keyset_pages_return_every_event_once_newest_first(
    office: AuditingEngine, actor: Callable[[str], Actor]
) -> None:
    seqs = everything(office, actor("auditor"))
    assert len(seqs) == len(set(seqs)) > 30
    page = office.search_audit(actor=actor("auditor"), limit=500)
    assert [e.seq for e in page.entries] == seqs and page.next_cursor is None
    times = [(e.at, e.seq) for e in page.entries]
    assert times == sorted(times, reverse=True)


def test_search_filters_by_process_instance_key_user_type_and_time(
    office: AuditingEngine, actor: Callable[[str], Actor], clock: Clock
) -> None:
    who = actor("auditor")
    every = office.search_audit(actor=who, limit=500).entries
    by_key = office.search_audit(
        AuditFilter(business_key="PO-2"), actor=who, limit=500
    ).entries
    assert by_key and {e.instance_id for e in by_key} == {2}
    assert everything(office, who, instance_id=2) == [e.seq for e in by_key]
    assert {
        e.process_id
        for e in office.search_audit(
            AuditFilter(process_id="two_approver"), actor=who, limit=500
        ).entries
    } == {"two_approver"}
    assert {
        e.actor
        for e in office.search_audit(
            AuditFilter(user="li.na"), actor=who, limit=500
        ).entries
    } == {"li.na"}
    typed = everything(office, who, event_types=("task_completed", "instance_started"))
    assert (
        len(typed)
        == len(
            [e for e in every if e.event_type in ("task_completed", "instance_started")]
        )
        == 9
    )
    since, until = every[-1].at + timedelta(days=1), every[0].at
    windowed = everything(office, who, since=since, until=until)
    assert windowed == [e.seq for e in every if since <= e.at < until]
    assert 0 < len(windowed) < len(every)


def test_search_refuses_staff_and_malformed_cursors(
    office: AuditingEngine, actor: Callable[[str], Actor]
) -> None:
    with pytest.raises(NotAuthorized):
        office.search_audit(actor=actor("zhang.wei"))
    with pytest.raises(InvalidInput):
        office.search_audit(actor=actor("auditor"), cursor="nonsense")


def test_timeline_shows_actor_duration_changes_and_deadlines(
    office: AuditingEngine, actor: Callable[[str], Actor]
) -> None:
    timeline = office.instance_timeline(1, actor=actor("auditor"))
    assert (timeline.business_key, timeline.status) == ("PO-1", "completed")
    done = [s for s in timeline.steps if s.event_type == "task_completed"]
    assert [s.actor for s in done] == ["zhang.wei", "li.na", "wang.fang"]
    assert done[0].title and done[0].duration == timedelta(hours=5)
    assert [(c.key, c.before, c.after) for c in done[0].changes] == [
        ("amount", None, "300.00"),
        ("item", None, "chair"),
    ]
    assert done[1].deadline is Deadline.MET and done[1].due_at is not None
    assert timeline.steps[-1].event_type == "instance_completed"
    assert timeline.steps[-1].duration == timedelta(hours=15)
    late = office.instance_timeline(2, actor=actor("auditor"))
    assert [
        s.deadline
        for s in late.steps
        if s.bpmn_id == "review_by_supervisor" and s.event_type == "task_completed"
    ] == [Deadline.MISSED]
    waiting = office.instance_timeline(3, actor=actor("auditor"))
    assert [
        s.deadline for s in waiting.steps if s.bpmn_id == "review_by_supervisor"
    ] == [Deadline.OVERDUE]


def test_timeline_shows_decisions_with_inputs_and_rule_and_escalations(
    office: AuditingEngine, actor: Callable[[str], Actor], clock: Clock
) -> None:
    with office.sessions.begin() as session:
        audit.record(
            session,
            AuditType.DECISION_EVALUATED,
            actor="system",
            at=clock.now,
            instance_id=3,
            bpmn_id="decide_threshold",
            payload={
                "decision_id": "visit_gm_threshold",
                "inputs": {"budget": "6000.00"},
                "rule_id": "rule_2",
                "outputs": {"needs_gm": True},
            },
        )
        audit.record(
            session,
            AuditType.TIMER_FIRED,
            actor="system",
            at=clock.now,
            instance_id=3,
            bpmn_id="review_overdue",
            payload={"kind": "boundary", "due_at": clock.now.isoformat()},
        )
    steps = office.instance_timeline(3, actor=actor("auditor")).steps
    decision = next(s for s in steps if s.decision is not None)
    assert decision.decision is not None and decision.decision.rule_id == "rule_2"
    assert decision.decision.inputs == {"budget": "6000.00"}
    assert [(c.key, c.after) for c in decision.changes] == [("needs_gm", True)]
    assert [s.bpmn_id for s in steps if s.escalation] == ["review_overdue"]


def test_timeline_shows_admin_data_edits_before_and_after(
    office: AuditingEngine, actor: Callable[[str], Actor], clock: Clock
) -> None:
    with office.sessions.begin() as session:
        audit.record(
            session,
            AuditType.INSTANCE_DATA_EDITED,
            actor="admin",
            at=clock.now,
            instance_id=1,
            payload={
                "reason": "typo",
                "before": {"amount": "300.00"},
                "after": {"amount": "310.00"},
                "removed": ["item"],
            },
        )
    edit = office.instance_timeline(1, actor=actor("auditor")).steps[-1]
    assert [(c.key, c.before, c.after) for c in edit.changes] == [
        ("amount", "300.00", "310.00"),
        ("item", "chair", None),
    ]
    assert edit.details["reason"] == "typo"


def test_report_counts_approvals_by_approver(
    office: AuditingEngine, actor: Callable[[str], Actor]
) -> None:
    report = office.audit_report("approvals_by_approver", actor=actor("auditor"))
    rows = {r[0]: r[1:] for r in report.rows}
    assert report.columns[0] == "approver"
    assert rows["li.na"] == (2, 2, 1, 0, 1, 0)
    assert rows["wang.fang"] == (1, 1, 1, 0, 0, 0)
    assert rows["zhang.wei"] == (3, 0, 0, 0, 0, 0)


def test_report_lists_self_approvals_only_where_initiator_approved(
    office: AuditingEngine, actor: Callable[[str], Actor]
) -> None:
    office.add_user(
        "self.approver",
        password="password-1",
        actor=SYSTEM,
        groups=("account_staff", "supervisor"),
    )
    run_purchase(
        office,
        actor,
        key="PO-SELF",
        starter="self.approver",
        supervisor="self.approver",
    )
    report = office.audit_report("self_approvals", actor=actor("auditor"))
    assert [(r[2], r[4], r[5], r[6]) for r in report.rows] == [
        ("PO-SELF", "review_by_supervisor", "self.approver", "approve")
    ]


def test_report_lists_overdue_steps_late_and_still_open(
    office: AuditingEngine, actor: Callable[[str], Actor]
) -> None:
    report = office.audit_report("overdue_steps", actor=actor("auditor"))
    assert [(r[1], r[3], r[7]) for r in report.rows] == [
        ("PO-2", "review_by_supervisor", "task_completed"),
        ("PO-3", "review_by_supervisor", "open"),
    ]
    assert all(r[8] > 0 for r in report.rows)


def test_report_totals_payouts_per_month_and_branch_latest_amounts_win(
    office: AuditingEngine, actor: Callable[[str], Actor], clock: Clock
) -> None:
    stations = [
        {"branch_name": "东城", "reward_total": "100.50"},
        {"branch_name": "西城", "reward_total": "5.25"},
    ]
    corrected = [{**stations[0], "reward_total": "120.50"}, stations[1]]
    recorded = [  # (instance, event type, payload)
        (1, "instance_started", {"data": {"payout_month": "2026-02"}}),
        (1, "data_computed", {"data": {"station_results": stations}}),
        (1, "data_computed", {"data": {"branch_results": [
            {"branch_name": "东城", "net_total": "10.00"}]}}),
        (1, "data_computed", {"data": {"station_results": corrected}}),
        (1, "instance_completed", {}),
        (2, "instance_started", {"data": {"payout_month": "2026-02"}}),
        (2, "data_computed", {"data": {"station_results": stations[:1]}}),
        # a called process corrects the list it was handed: that counts
        (2, "data_computed", {"subprocess": "station_confirmation",
                              "data": {"station_results": corrected[:1]}}),
    ]
    with office.sessions.begin() as session:
        for instance_id, kind, payload in recorded:
            audit.record(session, AuditType(kind), actor="yang.li", at=clock.now,
                         instance_id=instance_id, payload=payload)
    report = office.audit_report("payouts_by_month_branch", actor=actor("auditor"),
                                 process_id="two_approver")
    assert report.columns == ("month", "branch", "status", "instances",
                              "station_rewards", "branch_rewards", "total")
    assert report.rows == (
        ("2026-02", "东城", "completed", 1, "120.50", "10.00", "130.50"),
        ("2026-02", "东城", "open", 1, "120.50", "0.00", "120.50"),
        ("2026-02", "西城", "completed", 1, "5.25", "0.00", "5.25"),
    )


def test_report_counts_complaints_by_outcome_and_satisfaction(
    office: AuditingEngine, actor: Callable[[str], Actor], clock: Clock
) -> None:
    with office.sessions.begin() as session:
        audit.record(
            session,
            AuditType.TASK_COMPLETED,
            actor="huang.lei",
            at=clock.now,
            instance_id=1,
            payload={"data": {"satisfaction": "satisfied"}},
        )
    report = office.audit_report(
        "complaints_by_outcome",
        actor=actor("auditor"),
        process_id="two_approver",
        options={"satisfaction_field": "satisfaction"},
    )
    assert report.rows == (
        ("completed", "approved", "satisfied", 1),
        ("completed", "rejected", "", 1),
        ("open", "", "", 1),
    )
    assert report.columns == ("status", "outcome", "satisfaction", "complaints")


def test_complaint_report_says_when_a_completion_recorded_no_outcome(
    office: AuditingEngine, actor: Callable[[str], Actor], clock: Clock
) -> None:
    """Completions from before migration 0010 carry no outcome; none is guessed."""
    with office.sessions.begin() as session:
        audit.record(session, AuditType.INSTANCE_COMPLETED, actor="system",
                     at=clock.now, instance_id=3)  # as recorded before 0010
    report = office.audit_report(
        "complaints_by_outcome", actor=actor("auditor"), process_id="two_approver"
    )
    assert [r[:2] for r in report.rows] == [
        ("completed", "approved"), ("completed", "rejected"), ("completed", "unrecorded")
    ]
    with office.sessions.begin() as session:
        audit.record(session, AuditType.INSTANCE_COMPLETED, actor="system",
                     at=clock.now, instance_id=3, payload={"outcome": None})
    report = office.audit_report(
        "complaints_by_outcome", actor=actor("auditor"), process_id="two_approver"
    )
    assert ("completed", "none", "", 1) in report.rows


def test_csv_export_never_hands_a_spreadsheet_a_formula(
    office: AuditingEngine, actor: Callable[[str], Actor]
) -> None:
    """A name typed at the sign-in page is recorded as the actor of login_failed."""
    typed = '=HYPERLINK("http://evil.example","open")'
    with pytest.raises(AuthenticationFailed):
        office.authenticate(typed, "wrong")
    text = "".join(office.export_audit(
        AuditFilter(event_types=("login_failed",)), fmt="csv", actor=actor("auditor")))
    [row] = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))[1:]
    assert row[CSV_HEADER.index("actor")] == "'" + typed
    assert not any(cell.startswith(("=", "+", "-", "@")) for cell in row)
    lines = "".join(office.export_audit(
        AuditFilter(event_types=("login_failed",)), fmt="jsonl", actor=actor("auditor")))
    assert json.loads(lines)["actor"] == typed  # the verifiable export keeps it exact


def test_unknown_report_or_option_is_refused(
    office: AuditingEngine, actor: Callable[[str], Actor]
) -> None:
    with pytest.raises(InvalidInput):
        office.audit_report("everything", actor=actor("auditor"))
    with pytest.raises(InvalidInput):
        office.audit_report("overdue_steps", actor=actor("auditor"), options={"x": "y"})
    with pytest.raises(NotAuthorized):
        office.audit_report("overdue_steps", actor=actor("li.na"))


def test_csv_export_streams_every_matching_event_with_hashes(
    office: AuditingEngine, actor: Callable[[str], Actor]
) -> None:
    chunks = office.export_audit(
        AuditFilter(instance_id=2), fmt="csv", actor=actor("auditor")
    )
    assert isinstance(chunks, GeneratorType)
    text = "".join(chunks)
    assert text.startswith("\ufeffseq,")  # Excel reads it as UTF-8
    rows = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))
    expected = office.search_audit(
        AuditFilter(instance_id=2), actor=actor("auditor"), limit=500
    ).entries
    assert tuple(rows[0]) == CSV_HEADER and "at_utc" in CSV_HEADER
    assert [int(r[0]) for r in rows[1:]] == sorted(e.seq for e in expected)
    assert {r[-1] for r in rows[1:]} == {e.row_hash for e in expected}


def test_jsonl_export_lines_match_their_content_hashes(
    office: AuditingEngine, actor: Callable[[str], Actor]
) -> None:
    text = "".join(office.export_audit(fmt="jsonl", actor=Actor("a", role=Role.ADMIN)))
    lines = [json.loads(line) for line in text.splitlines()]
    assert len(lines) == len(office.search_audit(actor=SYSTEM, limit=500).entries)
    assert all(auditchain.content_hash(line) == line["content_hash"] for line in lines)


def test_export_checks_actor_and_format_before_streaming(
    office: AuditingEngine, actor: Callable[[str], Actor]
) -> None:
    with pytest.raises(NotAuthorized):
        office.export_audit(actor=actor("zhang.wei"))
    with pytest.raises(InvalidInput):
        office.export_audit(fmt="xml", actor=actor("auditor"))


def test_cli_exports_jsonl_for_a_process(
    office: AuditingEngine, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        [
            "audit",
            "export",
            "--format",
            "jsonl",
            "--process",
            "two_approver",
            "--type",
            "task_completed",
            "--as",
            "auditor",
        ],
        engine=office,
    )
    lines = capsys.readouterr().out.splitlines()
    assert code == 0 and len(lines) == 6
    assert {json.loads(line)["event_type"] for line in lines} == {"task_completed"}
