"""Build small BPMN documents for tests, so each test shows the element it is about."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event

DATA = Path(__file__).resolve().parents[2] / "data"


def read(name: str) -> bytes:
    """The bytes of a file in tests/data."""
    return (DATA / name).read_bytes()


def copied_forms(folder: Path) -> Path:
    """A copy of tests/data/forms under ``folder``, for tests that check it stays as is."""
    target = folder / "forms"
    shutil.copytree(DATA / "forms", target)
    return target


HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
    'xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" '
    'id="defs" targetNamespace="http://signoff.example/test">\n'
)


def process(body: str, *, process_id: str = "p", executable: bool = True,
            lanes: str = "") -> bytes:
    """A process with ``start -> ... -> end`` written by the caller in ``body``."""
    flag = "true" if executable else "false"
    return (HEAD + f'<bpmn:process id="{process_id}" isExecutable="{flag}">\n{lanes}'
            f"{body}\n</bpmn:process>\n</bpmn:definitions>\n").encode("utf-8")


def user_task(task_id: str, form: str = "request_form", extra: str = "") -> str:
    return (f'<bpmn:userTask id="{task_id}" name="{task_id}"><bpmn:extensionElements>'
            f'<spiffworkflow:properties><spiffworkflow:property '
            f'name="formJsonSchemaFilename" value="{form}.json"/></spiffworkflow:properties>'
            f"{extra}</bpmn:extensionElements></bpmn:userTask>")


def chain(*node_ids: str) -> str:
    """Sequence flows start -> a -> b -> ... -> end."""
    ids = ["start", *node_ids, "end"]
    flows = [f'<bpmn:sequenceFlow id="f{i}" sourceRef="{a}" targetRef="{b}"/>'
             for i, (a, b) in enumerate(zip(ids, ids[1:]))]
    return ('<bpmn:startEvent id="start"/><bpmn:endEvent id="end"/>' + "".join(flows))


def flows(*pairs: tuple[str, str]) -> str:
    """One sequence flow per (source, target) pair."""
    return "".join(
        f'<bpmn:sequenceFlow id="flow_{a}_{b}" sourceRef="{a}" targetRef="{b}"/>'
        for a, b in pairs
    )


def end_event(end_id: str, *, outcome: str | None = None, terminate: bool = False
              ) -> str:
    """An end event, optionally naming an outcome and terminating the process."""
    props = ("<bpmn:extensionElements><spiffworkflow:properties><spiffworkflow:property"
             f' name="outcome" value="{outcome}"/></spiffworkflow:properties>'
             "</bpmn:extensionElements>") if outcome else ""
    kind = "<bpmn:terminateEventDefinition/>" if terminate else ""
    return f'<bpmn:endEvent id="{end_id}">{props}{kind}</bpmn:endEvent>'


def script_task(task_id: str, script: str) -> str:
    return (f'<bpmn:scriptTask id="{task_id}" scriptFormat="python">'
            f"<bpmn:script>{script}</bpmn:script></bpmn:scriptTask>")


@contextmanager
def statements(engine: Any) -> Iterator[list[str]]:
    """The SQL an Engine's database receives inside the block, as its first words."""
    seen: list[str] = []
    bind = engine.sessions.kw["bind"]

    def note(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(" ".join(statement.split()[:3]))

    event.listen(bind, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(bind, "before_cursor_execute", note)
