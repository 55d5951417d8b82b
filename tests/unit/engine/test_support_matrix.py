"""The documented support matrix matches the one the deploy check uses, element by element."""

from __future__ import annotations

from pathlib import Path

import pytest
from modelkit import chain, process, user_task

from engine import DefinitionInvalid, Engine
from engine.records import SYSTEM
from engine.support import ELEMENTS, matrix_rows

DOC = Path(__file__).resolve().parents[3] / "docs" / "bpmn-support.md"


def test_documented_matrix_lists_every_row_of_the_code() -> None:
    text = DOC.read_text(encoding="utf-8")
    for element, supported, note in matrix_rows():
        assert f"| `{element}` | {supported} | {note} |" in text


@pytest.mark.parametrize("element", sorted(k for k, v in ELEMENTS.items() if not v.supported))
def test_each_unsupported_element_is_refused_by_name(engine: Engine, element: str) -> None:
    body = f'<bpmn:{element} id="odd_one"/>' + chain("odd_one")
    with pytest.raises(DefinitionInvalid) as caught:
        engine.deploy({"p.bpmn": process(body)}, actor=SYSTEM)
    assert caught.value.bpmn_id == "odd_one" and f"bpmn:{element}" in caught.value.message


@pytest.mark.parametrize("definition, where", [
    ("linkEventDefinition", "intermediateThrowEvent"),
    ("compensateEventDefinition", "intermediateThrowEvent"),
    ("messageEventDefinition", "intermediateThrowEvent"),
    ("conditionalEventDefinition", "intermediateCatchEvent"),
    ("timerEventDefinition", "endEvent"),
])
def test_event_definitions_spiff_would_misbuild_are_refused(engine: Engine, definition: str,
                                                            where: str) -> None:
    body = (f'<bpmn:{where} id="odd_event"><bpmn:{definition}/></bpmn:{where}>'
            + chain("odd_event"))
    with pytest.raises(DefinitionInvalid) as caught:
        engine.deploy({"p.bpmn": process(body)}, actor=SYSTEM)
    assert caught.value.bpmn_id == "odd_event" and definition in caught.value.message


@pytest.mark.parametrize("attributes, reason", [
    ('completionQuantity="0"', "completionQuantity='0'"),
    ('startQuantity="2"', "startQuantity='2'"),
    ('isForCompensation="true"', "compensation handlers"),
])
def test_invalid_or_unfaithful_activity_attributes_are_refused(
        engine: Engine, attributes: str, reason: str) -> None:
    task = user_task("fill_in").replace('<bpmn:userTask id="fill_in"',
                                        f'<bpmn:userTask id="fill_in" {attributes}')
    with pytest.raises(DefinitionInvalid) as caught:
        engine.deploy({"p.bpmn": process(task + chain("fill_in"))}, actor=SYSTEM)
    assert caught.value.bpmn_id == "fill_in" and reason in caught.value.message


def test_negative_loop_cardinality_is_refused(engine: Engine) -> None:
    task = user_task("fill_in").replace(
        "</bpmn:userTask>", "<bpmn:multiInstanceLoopCharacteristics><bpmn:loopCardinality>"
        "-1</bpmn:loopCardinality></bpmn:multiInstanceLoopCharacteristics></bpmn:userTask>")
    with pytest.raises(DefinitionInvalid, match="loop cardinality -1"):
        engine.deploy({"p.bpmn": process(task + chain("fill_in"))}, actor=SYSTEM)
