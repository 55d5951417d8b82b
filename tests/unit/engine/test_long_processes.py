"""Long processes (hundreds of steps in a row) deploy, load in a fresh process and run;
one too long for SpiffWorkflow to start is refused at deploy with a reason, never with
"RecursionError(...)" or a failure at its first start."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from modelkit import chain, process

from engine import DefinitionInvalid, Engine, parsedepth
from engine.records import SYSTEM

ROOT = Path(__file__).resolve().parents[3]


def steps(count: int) -> bytes:
    """start -> step0 -> ... -> step<count-1> -> end, each a form-less user task."""
    names = [f"step{i}" for i in range(count)]
    tasks = "".join(f'<bpmn:userTask id="{n}" name="第 {i} 步"/>'
                    for i, n in enumerate(names))
    return process(tasks + chain(*names), process_id="long")


def test_six_hundred_steps_in_a_row_deploy_and_run_to_the_end(engine: Engine) -> None:
    [info] = engine.deploy({"long.bpmn": steps(600)}, actor=SYSTEM)
    admin = engine.get_actor("admin")
    instance = engine.start_instance("long", {}, actor=admin)
    for _ in range(600):
        [task] = engine.inbox(admin)
        engine.complete_task(task.id, {"comment": "ok"}, actor=admin)
    assert info.version == 1
    assert engine.get_instance(instance.id, actor=admin).status.value == "completed"


def test_a_long_process_loads_in_a_fresh_python_with_the_default_stack_limit() -> None:
    code = ("import sys; from engine import definitions; "
            "assert sys.getrecursionlimit() == 1000; "
            "definitions.build_spec('long', [('bpmn', 'long', 'long.bpmn', "
            "sys.stdin.buffer.read())]); "
            "assert sys.getrecursionlimit() == 1000; print('loaded')")
    done = subprocess.run([sys.executable, "-c", code], input=steps(600), cwd=ROOT,
                          capture_output=True, timeout=120, check=False)
    assert done.stdout.strip() == b"loaded", done.stderr.decode()[-2000:]


def test_process_too_long_to_start_is_refused_with_its_reason(engine: Engine) -> None:
    with pytest.raises(DefinitionInvalid) as caught:
        engine.deploy({"long.bpmn": steps(1500)}, actor=SYSTEM)
    assert (caught.value.file, caught.value.bpmn_id) == ("long.bpmn", "long")
    assert caught.value.reason == parsedepth.TOO_LONG_TO_RUN
    assert "RecursionError" not in caught.value.message
    assert "callActivity" in caught.value.message


def test_parse_restores_the_recursion_limit(engine: Engine) -> None:
    before = sys.getrecursionlimit()
    engine.deploy({"long.bpmn": steps(600)}, actor=SYSTEM)
    assert sys.getrecursionlimit() == before
