"""Sandboxed scripts cannot start one C-level operation too big for the time budget."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any

import pytest
from modelkit import chain, process, script_task

from engine import Actor, Engine, ScriptFailed
from engine.records import SYSTEM, InstanceStatus
from engine.sandboxlimits import ScriptLimitExceeded
from engine.scripting import SandboxEnvironment

# Each of these would run for minutes or allocate gigabytes inside one C call, where the
# trace-based time budget never gets control back.
HUGE = [
    ("x = 10 ** 10 ** 9", "about 1,000,000,001 digits"),
    ("x = pow(7, 10 ** 9)", "digits"),
    ("x = 1 << 10 ** 9", "digits"),
    ("x = 3 ** 20000 * 3 ** 20000", "this product"),
    ("x = 9 ** 9000\nx *= x", "this product"),
    ("x = 'ab' * 10 ** 9", "2,000,000,000 items"),
    ("x = [0] * 10 ** 9", "this repetition"),
    ("x = 10 ** 9 * ('a',)", "this repetition"),
    ("x = list(range(10 ** 12))", "range(1000000000000)"),
    ("x = sum(range(0, 10 ** 15, 3))", "range(0, 1000000000000000, 3)"),
    ("x = f'{1:>999999999}'", "this formatted value"),
    ("x = f'{1.5:.999999999f}'", "this formatted value"),
    ("x = '%999999999d' % 1", "this formatted value"),
    ("x = '%*d' % (10 ** 9, 1)", "a * width"),
    ("x = 'a'.ljust(10 ** 9)", "this padded text"),
    ("x = '7'.zfill(10 ** 9)", "this padded text"),
    ("x = ','.join(['a' * 1000] * 2000)", "this joined text"),
    ("y = 'a' * 100000\nx = y.replace('a', y)", "this replaced text"),
    ("x = ('\\t' * 1000).expandtabs(10 ** 6)", "this expanded text"),
]


@pytest.mark.parametrize(("script", "message"), HUGE)
def test_sandbox_refuses_a_huge_operation_before_it_starts(script: str,
                                                            message: str) -> None:
    began = time.perf_counter()
    with pytest.raises(ScriptLimitExceeded, match=re.escape(message)):
        SandboxEnvironment(timeout=5).execute(script, {})
    assert time.perf_counter() - began < 1  # refused up front, not run to the budget


@pytest.mark.parametrize(("script", "expected"), [
    ("x = 2 ** 100", 2**100),
    ("x = pow(3, 10 ** 9, 7)", pow(3, 10**9, 7)),
    ("x = 1 << 64", 2**64),
    ("x = 7 % 3", 1),
    ("x = 'ab' * 3", "ababab"),
    ("x = [0] * 3", [0, 0, 0]),
    ("x = 3\nx *= 4", 12),
    ("x = str(Decimal('1.25') * 3)", "3.75"),
    ("x = f'{3.14159:.2f}|{7!r:>3}|{\"z\"!s:^3}'", "3.14|  7| z "),
    ("x = '%5.1f%% of %s' % (12.34, 'budget')", " 12.3% of budget"),
    ("x = sum(range(1, 101))", 5050),
    ("x = '-'.join(['a', 'b'])", "a-b"),
    ("x = 'abc'.replace('b', 'xx')", "axxc"),
    ("x = '7'.zfill(3) + 'a'.ljust(2) + 'b'.rjust(2) + 'c'.center(3)", "007a  b c "),
])
def test_ordinary_arithmetic_and_text_still_work(script: str, expected: Any) -> None:
    context: dict[str, Any] = {}
    SandboxEnvironment(timeout=5).execute(script, context)
    assert context["x"] == expected


def test_a_condition_with_a_huge_power_is_refused_too() -> None:
    with pytest.raises(ScriptLimitExceeded):
        SandboxEnvironment(timeout=5).evaluate("amount ** 10 ** 8 > 0", {"amount": 12})


def test_huge_script_puts_the_instance_in_error_with_the_limit_in_its_incident(
        engine: Engine, actor: Callable[[str], Actor]) -> None:
    body = script_task("grow", "total = 10 ** 10 ** 9") + chain("grow")
    engine.deploy({"p.bpmn": process(body)}, actor=SYSTEM)
    with pytest.raises(ScriptFailed) as caught:
        engine.start_instance("p", {}, actor=actor("admin"))
    assert caught.value.bpmn_id == "grow"
    assert "ScriptLimitExceeded" in caught.value.detail
    assert "10,000 digits" in caught.value.detail
    failed = engine.get_instance(caught.value.instance_id or 0, actor=SYSTEM)
    assert failed.status is InstanceStatus.ERROR
    assert failed.incident is not None and "10,000 digits" in failed.incident.message
