"""Declared process variables: labels next to the scripts that set them, checked at deploy."""

from __future__ import annotations

import pytest
from modelkit import chain, process, script_task

from engine import DefinitionInvalid, Engine, NotFound
from engine.records import SYSTEM


def declaring(*declarations: tuple[str, str], process_id: str = "p",
              body: str = "") -> bytes:
    """A process whose ``bpmn:process`` carries ``variable:<name>`` properties."""
    props = "".join(f"<spiffworkflow:property name=\"variable:{name}\" value='{value}'/>"
                    for name, value in declarations)
    head = (f"<bpmn:extensionElements><spiffworkflow:properties>{props}"
            "</spiffworkflow:properties></bpmn:extensionElements>")
    return process(head + (body or script_task("count", "rounds = 1") + chain("count")),
                   process_id=process_id)


ROUNDS = '{"x-label": {"zh": "提交次数", "en": "Times submitted"}}'
OFFSET = '{"x-label": {"zh": "办公时区", "en": "Office UTC offset"}, "x-internal": true}'


def test_a_version_reads_its_declared_labels_and_bookkeeping_marks(engine: Engine) -> None:
    engine.deploy({"p.bpmn": declaring(("rounds", ROUNDS), ("office_utc_offset", OFFSET))},
                  actor=SYSTEM)
    declared = engine.process_variables("p", 1, actor=engine.get_actor("zhao.min"))
    assert declared == {
        "rounds": {"x-label": {"zh": "提交次数", "en": "Times submitted"}},
        "office_utc_offset": {"x-label": {"zh": "办公时区", "en": "Office UTC offset"},
                              "x-internal": True},
    }


def test_each_version_keeps_the_labels_it_was_deployed_with(engine: Engine) -> None:
    engine.deploy({"p.bpmn": declaring(("rounds", ROUNDS))}, actor=SYSTEM)
    renamed = '{"x-label": {"zh": "轮次", "en": "Round"}}'
    engine.deploy({"p.bpmn": declaring(("rounds", renamed))}, actor=SYSTEM)
    reader = engine.get_actor("zhao.min")
    assert engine.process_variables("p", 1, actor=reader)["rounds"]["x-label"] == {
        "zh": "提交次数", "en": "Times submitted"}
    assert engine.process_variables("p", 2, actor=reader)["rounds"]["x-label"] == {
        "zh": "轮次", "en": "Round"}
    with pytest.raises(NotFound):
        engine.process_variables("p", 3, actor=reader)


def test_a_called_processs_declarations_fill_in_and_the_callers_win(
    engine: Engine,
) -> None:
    own = '{"x-label": {"zh": "子流程的说法", "en": "As the callee says"}}'
    child = declaring(("rounds", own), ("share", ROUNDS), process_id="child")
    engine.deploy({"child.bpmn": child}, actor=SYSTEM)
    call = '<bpmn:callActivity id="run_child" calledElement="child"/>' + chain("run_child")
    parent = declaring(("rounds", ROUNDS), process_id="parent", body=call)
    engine.deploy({"parent.bpmn": parent}, actor=SYSTEM)
    declared = engine.process_variables("parent", 1, actor=SYSTEM)
    assert declared["rounds"]["x-label"]["en"] == "Times submitted"  # the caller's
    assert declared["share"]["x-label"]["en"] == "Times submitted"  # only the callee's


@pytest.mark.parametrize(("name", "value", "reason"), [
    ("rounds", "{x-label}", "property variable:rounds is not JSON: Expecting property "
     "name enclosed in double quotes at character 2"),
    ("rounds", '["提交次数"]', 'property variable:rounds must be a JSON object such as '
     '{"x-label": {"zh": "…", "en": "…"}}'),
    ("rounds", '{"x-label": {"zh": "提交次数"}}',
     'property variable:rounds needs "x-label" with a "zh" and an "en" text'),
    ("rounds", '{"x-lable": {"zh": "次数", "en": "Rounds"}}',
     "property variable:rounds has unknown keyword(s) x-lable (known: items, "
     "properties, x-enum-labels, x-internal, x-label)"),
    ("rounds", '{"x-label": {"zh": "次数", "en": "Rounds"}, "x-internal": "yes"}',
     'property variable:rounds "x-internal" must be true or false'),
    ("rounds", '{"x-label": {"zh": "次数", "en": "Rounds"}, "items": []}',
     'property variable:rounds "items" must be an object'),
    ("2nd_round", ROUNDS, "property variable:2nd_round '2nd_round' is not a variable name"),
])
def test_a_malformed_declaration_is_refused_naming_the_property_and_line(
    engine: Engine, name: str, value: str, reason: str
) -> None:
    with pytest.raises(DefinitionInvalid) as caught:
        engine.deploy({"p.bpmn": declaring((name, value))}, actor=SYSTEM)
    assert caught.value.reason == reason
    assert caught.value.bpmn_id == "p" and caught.value.file == "p.bpmn"
    assert caught.value.line == 4  # the line of the declaring property
