"""Build small BPMN documents for tests, so each test shows the element it is about."""

from __future__ import annotations

from pathlib import Path

DATA = Path(__file__).resolve().parents[2] / "data"


def read(name: str) -> bytes:
    """The bytes of a file in tests/data."""
    return (DATA / name).read_bytes()


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


def script_task(task_id: str, script: str) -> str:
    return (f'<bpmn:scriptTask id="{task_id}" scriptFormat="python">'
            f"<bpmn:script>{script}</bpmn:script></bpmn:scriptTask>")
