"""A small station-confirmation model for the assignment and visibility tests.

A county office reviews the whole list (an ordinary step), then each station's
maintainer confirms its own station and later re-checks it: the two multi-instance steps
are assigned from the data and limited to what they name.
"""

from __future__ import annotations

from typing import Any

from modelkit import process

from engine import Engine
from engine.records import SYSTEM, TaskInfo

CONFIRM = {
    "assignToVariable": "station.maintainer_account",
    "aboutVariable": "station.station_id",
    "visibleData": "month, station",
    "visibleSteps": "confirm_station",
}
RECHECK = {
    "assignToVariable": "checked.maintainer_account",
    "aboutVariable": "checked.station_id",
    "visibleData": "checked.station_id, checked.amount",
    "visibleSteps": "review_list, confirm_station",
}
CARD_1, CARD_2 = "6222000011112222", "6222000033334444"


def stations(first: str = "hu.bin", second: str = "guo.ping") -> list[dict[str, str]]:
    return [
        {"station_id": "S1", "maintainer_account": first, "amount": "11.11",
         "card": CARD_1},
        {"station_id": "S2", "maintainer_account": second, "amount": "22.22",
         "card": CARD_2},
    ]


def _props(props: dict[str, str]) -> str:
    return "".join(f'<spiffworkflow:property name="{k}" value="{v}"/>'
                   for k, v in props.items())


def _each_station(task_id: str, item: str, props: dict[str, str]) -> str:
    return (f'<bpmn:userTask id="{task_id}" name="{task_id}"><bpmn:extensionElements>'
            "<spiffworkflow:properties><spiffworkflow:property "
            'name="formJsonSchemaFilename" value="station_check.json"/>'
            f"{_props(props)}</spiffworkflow:properties></bpmn:extensionElements>"
            "<bpmn:multiInstanceLoopCharacteristics><bpmn:loopDataInputRef>stations"
            # SpiffWorkflow names the item's variable by its id, unique per document.
            f'</bpmn:loopDataInputRef><bpmn:inputDataItem id="{item}" name="{item}"/>'
            "</bpmn:multiInstanceLoopCharacteristics></bpmn:userTask>")


LANES = (
    '<bpmn:laneSet id="lanes">'
    '<bpmn:lane id="lane_office" name="county_platform_office">'
    "<bpmn:flowNodeRef>review_list</bpmn:flowNodeRef></bpmn:lane>"
    '<bpmn:lane id="lane_maintainers" name="station_maintainer">'
    "<bpmn:flowNodeRef>confirm_station</bpmn:flowNodeRef>"
    "<bpmn:flowNodeRef>recheck_station</bpmn:flowNodeRef></bpmn:lane></bpmn:laneSet>"
)


def model(confirm: dict[str, str] | None = None) -> dict[str, bytes]:
    """The process ``stations``; ``confirm`` replaces the confirmation's properties."""
    body = (
        '<bpmn:startEvent id="start"/>'
        '<bpmn:userTask id="review_list" name="review_list"><bpmn:extensionElements>'
        "<spiffworkflow:properties><spiffworkflow:property "
        'name="formJsonSchemaFilename" value="station_check.json"/>'
        "</spiffworkflow:properties></bpmn:extensionElements></bpmn:userTask>"
        + _each_station("confirm_station", "station", CONFIRM if confirm is None else confirm)
        + _each_station("recheck_station", "checked", RECHECK)
        + '<bpmn:endEvent id="end"/>'
        + "".join(f'<bpmn:sequenceFlow id="f{i}" sourceRef="{a}" targetRef="{b}"/>'
                  for i, (a, b) in enumerate([
                      ("start", "review_list"), ("review_list", "confirm_station"),
                      ("confirm_station", "recheck_station"), ("recheck_station", "end")]))
    )
    return {"stations.bpmn": process(body, process_id="stations", lanes=LANES)}


def start(engine: Engine, rows: list[dict[str, str]] | None = None,
          confirm: dict[str, str] | None = None) -> int:
    """Deploy, start and pass the office's review; the confirmations are then open."""
    engine.deploy(model(confirm), actor=SYSTEM)
    data: dict[str, Any] = {"month": "2026-10", "stations": rows or stations(),
                            "cards": [CARD_1, CARD_2]}
    iid = engine.start_instance("stations", data, actor=SYSTEM).id
    office = engine.get_actor("wu.hao")
    [review] = [t for t in engine.inbox(office) if t.instance_id == iid]
    engine.complete_task(review.id, {"result": f"S1 and S2 checked, cards {CARD_2}"},
                         actor=office)
    return iid


def inbox_of(engine: Engine, iid: int, username: str, scope: str = "mine"
             ) -> list[TaskInfo]:
    """The instance's open tasks in one user's inbox (``mine``: held by them)."""
    return [t for t in engine.inbox(engine.get_actor(username), scope=scope)
            if t.instance_id == iid]


def held_by(engine: Engine, iid: int, username: str,
            bpmn_id: str = "confirm_station") -> TaskInfo:
    [task] = [t for t in inbox_of(engine, iid, username) if t.bpmn_id == bpmn_id]
    return task
