"""Exported audit files: JSON Lines exports verify offline, CSV says its times are UTC
and opens in Excel, and the CLI stops quietly when its reader goes away."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from auditkit import AuditingEngine, Clock, auditing, run_purchase

from engine import Actor, Engine, InvalidInput
from engine.audit_records import AuditFilter, ProblemKind
from engine.auditchain import content_hash, link_hash
from engine.cli import main


@pytest.fixture
def trail(purchase: Engine, actor: Callable[[str], Actor]) -> AuditingEngine:
    """An auditing engine whose trail holds two purchases finished on 2 March 2026."""
    auditor = auditing(purchase, Clock())
    run_purchase(auditor, actor, key="PO-1")
    run_purchase(auditor, actor, key="PO-2")
    return auditor


def jsonl(trail: AuditingEngine, **filters: object) -> str:
    auditor = trail.get_actor("auditor")
    return "".join(trail.export_audit(AuditFilter(**filters),  # type: ignore[arg-type]
                                      fmt="jsonl", actor=auditor))


def test_whole_jsonl_export_verifies_offline(trail: AuditingEngine) -> None:
    text = jsonl(trail)
    result = trail.verify_audit_file(text.encode())
    assert result.ok and result.source == "JSON Lines export"
    assert result.checked == len(text.splitlines()) and result.gaps == 0
    assert "audit chain intact" in result.summary()


def test_filtered_jsonl_export_verifies_and_counts_what_it_could_not_check(
    trail: AuditingEngine,
) -> None:
    only = jsonl(trail, event_types=("task_completed",))
    result = trail.verify_audit_file(only.encode())
    assert result.ok and result.gaps > 0
    assert "gap(s) in seq between exported events were not checked" in result.summary()


def test_altered_jsonl_line_is_reported_with_its_event(trail: AuditingEngine) -> None:
    lines = [json.loads(line) for line in jsonl(trail).splitlines()]
    victim = next(e for e in lines if e["event_type"] == "task_completed")
    victim["payload"]["data"]["amount"] = "3.00"
    text = "\n".join(json.dumps(e, ensure_ascii=False) for e in lines)
    problem = trail.verify_audit_file(text.encode()).problem
    assert problem is not None
    assert (problem.kind, problem.event_id) == (ProblemKind.ALTERED, victim["id"])


def test_forged_jsonl_line_with_valid_hashes_is_reported_as_inserted(
    trail: AuditingEngine,
) -> None:
    lines = [json.loads(line) for line in jsonl(trail).splitlines()]
    forged = dict(lines[4], prev_hash="f" * 64)  # rehashed, but linked to nothing
    forged["content_hash"] = content_hash(forged)
    forged["row_hash"] = link_hash(forged["prev_hash"], forged["instance_id"],
                                   forged["content_hash"])
    lines[4] = forged
    text = "\n".join(json.dumps(e, ensure_ascii=False) for e in lines)
    problem = trail.verify_audit_file(text.encode()).problem
    assert problem is not None and problem.kind is ProblemKind.INSERTED


def test_csv_export_is_refused_by_verify_naming_the_formats_it_takes(
    trail: AuditingEngine,
) -> None:
    text = "".join(trail.export_audit(fmt="csv", actor=trail.get_actor("auditor")))
    with pytest.raises(InvalidInput, match="JSON Lines export.*CSV export cannot"):
        trail.verify_audit_file(text.encode())


def test_cli_verifies_a_jsonl_export_file(
    trail: AuditingEngine, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    exported = tmp_path / "signoff-audit.jsonl"
    assert main(["audit", "export", "--format", "jsonl", "--output", str(exported),
                 "--as", "auditor"], engine=trail) == 0
    assert main(["audit", "verify", "--file", str(exported)], engine=trail) == 0
    assert "intact" in capsys.readouterr().out
    csv_file = tmp_path / "signoff-audit.csv"
    main(["audit", "export", "--output", str(csv_file), "--as", "auditor"],
         engine=trail)
    assert main(["audit", "verify", "--file", str(csv_file)], engine=trail) == 1
    assert "a CSV export cannot be verified" in capsys.readouterr().err


def test_cli_export_takes_office_days_and_refuses_a_bad_one(
    trail: AuditingEngine, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    assert main(["audit", "export", "--since", "2026-03-02", "--until", "2026-03-02",
                 "--format", "jsonl", "--as", "auditor"], engine=trail) == 0
    assert capsys.readouterr().out.count("\n") > 10
    with pytest.raises(SystemExit):
        main(["audit", "export", "--since", "2026-13-45"], engine=trail)
    assert "'2026-13-45' is neither a day YYYY-MM-DD" in capsys.readouterr().err


@pytest.mark.parametrize("command", [["audit", "--json"],
                                     ["audit", "export", "--format", "jsonl"]])
def test_cli_exits_quietly_when_the_reader_closes_the_pipe(
    trail: AuditingEngine, database_url: str, tmp_path: Path, command: list[str]
) -> None:
    env = {**os.environ, "SIGNOFF_DATABASE_URL": database_url,
           "SIGNOFF_VAR_DIR": str(tmp_path)}
    process = subprocess.Popen([sys.executable, "-m", "engine", *command], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()  # like `| head` that has read enough before we write
    with process.stderr:
        error = process.stderr.read().decode()
    assert process.wait(timeout=120) == 141
    assert error == ""
