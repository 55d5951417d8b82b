"""The signoff CLI walks the two-approver model end to end and reports errors in one line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from modelkit import DATA, chain, process

from engine import Engine
from engine.cli import main


def run(engine: Engine, capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv), engine=engine)
    out, err = capsys.readouterr()
    return code, out, err


def run_json(engine: Engine, capsys: pytest.CaptureFixture[str], *argv: str) -> object:
    code, out, err = run(engine, capsys, *argv, "--json")
    assert code == 0, err
    return json.loads(out)


def test_cli_walks_two_approver_model_end_to_end(engine: Engine,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(engine, capsys, "deploy", str(DATA / "two_approver.bpmn"))
    assert code == 0 and "def_id=two_approver" in out and "version=1" in out
    started = run_json(engine, capsys, "start", "two_approver", "--as", "zhang.wei",
                       "--business-key", "PO-9")
    assert isinstance(started, dict) and started["status"] == "running"
    steps = [("zhang.wei", {"item": "chair", "amount": "300.00"}),
             ("li.na", {"supervisor_decision": "approve", "supervisor_opinion": "ok"}),
             ("wang.fang", {"manager_decision": "approve"})]
    for user, data in steps:
        [task] = run_json(engine, capsys, "tasks", "--as", user)  # type: ignore[misc]
        assert run(engine, capsys, "claim", task["id"], "--as", user)[0] == 0
        code, _out, err = run(engine, capsys, "complete", task["id"], "--as", user,
                              "--data", json.dumps(data))
        assert code == 0, err
    shown = run_json(engine, capsys, "instance", str(started["id"]), "--as", "zhang.wei")
    assert isinstance(shown, dict) and shown["status"] == "completed"
    trail = run_json(engine, capsys, "audit", "--instance", str(started["id"]))
    assert isinstance(trail, list)
    assert [e["event_type"] for e in trail].count("task_completed") == 3


def test_cli_reports_bad_input_in_one_line_without_traceback(
        engine: Engine, capsys: pytest.CaptureFixture[str]) -> None:
    run(engine, capsys, "deploy", str(DATA / "two_approver.bpmn"))
    code, _out, err = run(engine, capsys, "start", "two_approver", "--as", "zhang.wei",
                          "--data", "{not json")
    assert code == 1 and err.startswith("error: --data is not valid JSON")
    code, _out, err = run(engine, capsys, "start", "nope", "--as", "zhang.wei")
    assert code == 1 and err == "error: process 'nope' is not deployed\n"
    code, _out, err = run(engine, capsys, "tasks", "--as", "ghost")
    assert code == 1 and err == "error: no user 'ghost'\n"


def test_cli_refuses_bad_file_naming_file_line_and_element(
        engine: Engine, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    broken = tmp_path / "broken.bpmn"
    broken.write_bytes((DATA / "two_approver.bpmn").read_bytes().replace(
        b"supervisor_review.json", b"missing_form.json"))
    code, _out, err = run(engine, capsys, "deploy", str(broken))
    assert code == 1
    assert err.startswith("error: broken.bpmn:") and "[review_by_supervisor]" in err
    assert "form 'missing_form' does not exist" in err


def test_cli_deploy_prints_every_problem_of_a_file_one_line_each(
        engine: Engine, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    mixed = tmp_path / "mixed.bpmn"
    mixed.write_bytes(process(
        '<bpmn:complexGateway id="decide"/><bpmn:serviceTask id="send_mail"/>'
        '<bpmn:userTask id="approve"/>' + chain("decide", "send_mail", "approve")
    ).replace(b'<bpmn:userTask id="approve"/>',
              b'<bpmn:userTask id="approve" startQuantity="2"/>'))
    code, out, err = run(engine, capsys, "deploy", str(mixed))
    assert (code, out) == (1, "")
    assert err.splitlines() == [
        "error: mixed.bpmn:4 [decide]: bpmn:complexGateway: complex gateways are not "
        "executable in SpiffWorkflow",
        "error: mixed.bpmn:4 [send_mail]: bpmn:serviceTask: service tasks call external "
        "systems; none are configured",
        "error: mixed.bpmn:4 [approve]: startQuantity='2': only 1 token per activity is "
        "supported (0 or negative is invalid BPMN)",
    ]


def test_console_entry_runs_as_a_process(tmp_path: Path) -> None:
    env = {**os.environ, "SIGNOFF_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}",
           "SIGNOFF_VAR_DIR": str(tmp_path)}
    init = subprocess.run([sys.executable, "-m", "engine", "init"], env=env,
                          capture_output=True, text=True, timeout=120)
    assert init.returncode == 0, init.stderr
    bad = subprocess.run([sys.executable, "-m", "engine", "instance", "42"], env=env,
                         capture_output=True, text=True, timeout=120)
    assert bad.returncode == 1 and bad.stderr == "error: no instance 42\n"
