"""Auditor filters: days are office days in the engine's time zone; a user is found by
the start of their user name or display name."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timezone

import pytest
from auditkit import AuditingEngine, Clock, run_purchase

from engine import Actor, Engine
from engine.audit_records import AuditFilter
from engine.deadline_config import DeadlineConfig

# 19:02 UTC on 22 November is 03:02 on 23 November in Shanghai.
LATE_EVENING_UTC = datetime(2026, 11, 22, 19, 2, tzinfo=timezone.utc)


def office_in(engine: Engine, zone: str, clock: Clock) -> AuditingEngine:
    return AuditingEngine(engine.sessions, forms_dir=engine._forms_dir, clock=clock,
                          deadlines=DeadlineConfig(timezone=zone))


def instances_on(office: AuditingEngine, since: date, until: date) -> set[int | None]:
    page = office.search_audit(AuditFilter(since=since, until=until),
                               actor=office.get_actor("auditor"), limit=500)
    return {e.instance_id for e in page.entries if e.instance_id}


def test_a_day_is_the_office_day_of_the_engines_time_zone(
    purchase: Engine, actor: Callable[[str], Actor]
) -> None:
    clock = Clock(LATE_EVENING_UTC)
    shanghai = office_in(purchase, "Asia/Shanghai", clock)
    instance = run_purchase(shanghai, actor, clock=None)
    nov_22, nov_23 = date(2026, 11, 22), date(2026, 11, 23)
    assert instances_on(shanghai, nov_23, nov_23) == {instance}
    assert instances_on(shanghai, nov_22, nov_22) == set()
    utc = office_in(purchase, "UTC", clock)
    assert instances_on(utc, nov_22, nov_22) == {instance}
    assert instances_on(utc, nov_23, nov_23) == set()


def test_report_date_range_counts_office_days(
    purchase: Engine, actor: Callable[[str], Actor]
) -> None:
    office = office_in(purchase, "Asia/Shanghai", Clock(LATE_EVENING_UTC))
    run_purchase(office, actor)
    auditor = actor("auditor")

    def approvers(day: date) -> set[str]:
        report = office.audit_report("approvals_by_approver", actor=auditor,
                                     since=day, until=day)
        return {row[0] for row in report.rows}

    assert approvers(date(2026, 11, 23)) == {"zhang.wei", "li.na", "wang.fang"}
    assert approvers(date(2026, 11, 22)) == set()


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("li.na", {"li.na"}),  # a whole user name, as before
        ("zhang", {"zhang.wei"}),  # the start of a user name
        ("ZHANG", {"zhang.wei"}),  # user names are lower case
        ("王芳", {"wang.fang"}),  # a display name
        ("李", {"li.na"}),  # the start of one
        ("l", {"li.na"}),  # liu.yang did nothing here
        ("%", set()),  # LIKE wildcards are plain text
        ("nobody", set()),
    ],
)
def test_user_filter_matches_names_display_names_and_their_starts(
    purchase: Engine, actor: Callable[[str], Actor], typed: str, expected: set[str]
) -> None:
    office = office_in(purchase, "Asia/Shanghai", Clock())
    run_purchase(office, actor)
    page = office.search_audit(AuditFilter(user=typed, event_types=("task_completed",)),
                               actor=actor("auditor"), limit=500)
    assert {e.actor for e in page.entries} == expected
