"""branch_reward (called per branch by station_payout), run on its own by an admin."""

from __future__ import annotations

from typing import TYPE_CHECKING

from engine.records import SYSTEM

if TYPE_CHECKING:
    from tests.scenarios.conftest import Scenario


def test_engine_sandbox_splits_and_penalises(scenario: Scenario) -> None:
    branch = {
        "branch_id": "B02",
        "branch_name": "青石支局",
        "county": "平安县",
        "branch_type": "rural",
        "effective_station_plan": 5,
        "branch_head": "赵春生",
        "branch_head_phone": "13800000201",
        "maintainer": "周丽",
        "maintainer_phone": "13800000202",
        "station_count": 4,
        "effective_station_count": 4,
        "maintenance_total": "35.85",
    }
    info = scenario.engine.start_instance(
        "branch_reward", {"branch": branch}, actor=SYSTEM
    )
    result = info.data["branch_result"]
    assert isinstance(result, dict)
    # 35.85 + 100.00 bonus - 1 missing x 2.00 = 133.85 -> 26.77 : 107.08
    assert (
        result["net_total"],
        result["branch_head_amount"],
        result["maintainer_amount"],
    ) == ("133.85", "26.77", "107.08")
