"""Creating and retitling groups: every change lands on the audit trail."""

from __future__ import annotations

from typing import Any

from engine import Engine
from engine.records import SYSTEM


def group_events(engine: Engine) -> list[tuple[str, dict[str, Any]]]:
    return [
        (e.event_type, dict(e.payload))
        for e in engine.audit_log(actor=SYSTEM)
        if e.event_type.startswith("group_")
    ]


def test_new_group_is_recorded_with_its_titles(engine: Engine) -> None:
    before = len(group_events(engine))
    info = engine.ensure_group("audit_office", title="审计办", title_en="Audit office",
                               actor=SYSTEM)
    assert info.outcome == "created"
    assert group_events(engine)[before:] == [
        ("group_created",
         {"group": "audit_office", "title": "审计办", "title_en": "Audit office"}),
    ]


def test_retitling_an_existing_group_is_recorded_with_before_and_after(
    engine: Engine,
) -> None:
    before = len(group_events(engine))
    info = engine.ensure_group("supervisor", title="主管", title_en="Supervisor",
                               actor=SYSTEM)
    assert info.outcome == "updated"
    [(kind, payload)] = group_events(engine)[before:]
    assert kind == "group_updated"
    assert payload == {"group": "supervisor",
                       "title": {"before": "大客户部主管", "after": "主管"}}
    titles = {g.name: (g.title, g.title_en) for g in engine.list_groups()}
    assert titles["supervisor"] == ("主管", "Supervisor")


def test_saving_the_same_titles_again_records_nothing(engine: Engine) -> None:
    engine.ensure_group("audit_office", title="审计办", title_en="Audit office",
                        actor=SYSTEM)
    before = len(group_events(engine))
    again = engine.ensure_group("audit_office", title="审计办", title_en="Audit office",
                                actor=SYSTEM)
    assert again.outcome == "unchanged" and len(group_events(engine)) == before
