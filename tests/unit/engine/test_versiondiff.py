"""Readable diffs between versions of BPMN and DMN files (engine/versiondiff.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from modelkit import chain, process, script_task, user_task

from engine import Engine
from engine.records import SYSTEM
from engine.versiondiff import ElementChange, FieldChange, diff_file

ROOT = Path(__file__).resolve().parents[3]
DMN = (ROOT / "workflows" / "visit_gm_threshold.dmn").read_bytes()
TIMER = (
    '<bpmn:intermediateCatchEvent id="wait"><bpmn:timerEventDefinition>'
    '<bpmn:timeDuration>"{}"</bpmn:timeDuration></bpmn:timerEventDefinition>'
    "</bpmn:intermediateCatchEvent>"
)


@pytest.fixture
def forms_dir() -> None:
    """The shipped forms: the shipped workflows are deployed here."""
    return None


def changes_of(kind: str, old: bytes, new: bytes) -> dict[str, ElementChange]:
    result = diff_file(kind, "x", (1, f"x.{kind}", old), (2, f"x.{kind}", new))
    return {c.element_id: c for c in result.changes}


def test_dmn_threshold_change_is_reported_per_rule_and_column() -> None:
    new = DMN.replace(b"5000.00&quot;)", b"3000.00&quot;)")
    found = changes_of("dmn", DMN, new)
    assert set(found) == {f"rule_visit_gm_threshold_{n}" for n in (1, 2, 3, 4)}
    rule = found["rule_visit_gm_threshold_1"]
    assert rule.change == "changed" and rule.element_type == "rule"
    assert rule.fields == (
        FieldChange(
            "when 预算总额（元）Budget total (yuan)",
            '<= Decimal("5000.00")',
            '<= Decimal("3000.00")',
        ),
    )


def test_dmn_added_and_removed_rules_are_named() -> None:
    start = DMN.index(b'      <rule id="rule_visit_gm_threshold_4">')
    end = DMN.index(b"</rule>", start) + len(b"</rule>")
    found = changes_of("dmn", DMN, DMN[:start] + DMN[end:])
    assert found["rule_visit_gm_threshold_4"].change == "removed"
    found = changes_of("dmn", DMN[:start] + DMN[end:], DMN)
    assert found["rule_visit_gm_threshold_4"].change == "added"


def test_bpmn_changes_name_flows_scripts_forms_and_timers() -> None:
    old = process(
        user_task("fill_in")
        + script_task("tally", "x = 1")
        + TIMER.format("P1D")
        + chain("fill_in", "tally", "wait")
    )
    new = process(
        user_task("fill_in", form="supervisor_review")
        + script_task("tally", "x = 2")
        + TIMER.format("P2D")
        + user_task("check")
        + chain("fill_in", "tally", "check", "wait")
    )
    found = changes_of("bpmn", old, new)
    assert found["check"].change == "added"
    assert ("form", "request_form.json", "supervisor_review.json") in [
        (f.field, f.before, f.after) for f in found["fill_in"].fields
    ]
    assert found["tally"].fields == (FieldChange("script", "x = 1", "x = 2"),)
    assert found["wait"].fields == (
        FieldChange("timer", 'timeDuration: "P1D"', 'timeDuration: "P2D"'),
    )
    assert found["f2"].fields == (FieldChange("targetRef", "wait", "check"),)
    assert found["f4"].change == "added"


def test_unified_diff_shows_the_changed_xml_line() -> None:
    result = diff_file(
        "dmn",
        "x",
        (1, "x.dmn", DMN),
        (2, "x.dmn", DMN.replace(b"5000.00&quot;)", b"3000.00&quot;)", 1)),
    )
    old_line = next(
        line for line in DMN.decode().splitlines() if "5000.00&quot;)" in line
    )
    assert "-" + old_line in result.unified.splitlines()
    assert result.unified.startswith("--- x.dmn (v1)\n+++ x.dmn (v2)")


def test_layout_only_change_has_no_element_changes() -> None:
    moved = DMN.replace(b'x="160" y="100"', b'x="200" y="140"')
    result = diff_file("dmn", "x", (1, "x.dmn", DMN), (2, "x.dmn", moved))
    assert result.changes == () and result.layout_changed


def test_new_file_lists_every_element_as_added() -> None:
    result = diff_file("bpmn", "p", None, (1, "p.bpmn", process(chain())))
    assert {c.change for c in result.changes} == {"added"} and result.from_version == 0


def test_process_version_diff_includes_the_pinned_decision(engine: Engine) -> None:
    admin = engine
    files = {
        name: (ROOT / "workflows" / name).read_bytes()
        for name in ("visit_approval.bpmn", "visit_gm_threshold.dmn")
    }
    engine.deploy(files, actor=SYSTEM)
    changed = DMN.replace(b"5000.00&quot;)", b"3000.00&quot;)")
    engine.deploy({"visit_gm_threshold.dmn": changed}, actor=SYSTEM)
    [diff] = admin.diff_versions("visit_approval", 1, 2, actor=SYSTEM)
    assert (diff.kind, diff.def_id, diff.from_version, diff.to_version) == (
        "dmn",
        "visit_gm_threshold",
        1,
        2,
    )
    assert len(diff.changes) == 4
