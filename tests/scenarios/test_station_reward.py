"""station_reward (called per station by station_payout), run on its own by an admin."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from engine.records import SYSTEM

if TYPE_CHECKING:
    from tests.scenarios.conftest import Scenario

STATION: dict[str, Any] = {
    "station_id": "S201",
    "station_name": "青石村一站",
    "branch_id": "B02",
    "branch_name": "青石支局",
    "county": "平安县",
    "branch_type": "rural",
    "effective_station_plan": 5,
    "branch_head": "赵春生",
    "branch_head_phone": "13800000201",
    "maintainer": "周丽",
    "maintainer_phone": "13800000202",
    "sms_phone": "13700002201",
    "village": "青石村",
    "village_households": 200,
    "stations_in_village": 2,
    "area": "rural",
    "effective": True,
    "mobile_count": 10,
    "mobile_amount": "680.00",
    "unicom_count": 2,
    "telecom_count": 3,
    "telecom_amount": "210.00",
    "electricity_count": 50,
    "shangyitong_count": 6,
    "huinongtong_accounts": 3,
    "financial_leads": 1,
    "car_insurance_leads": 0,
    "car_insurance_conversions": 0,
    "withdrawal_swipes": [
        {"card_no": f"62215800{n:08d}", "swipe_date": "2026-10-08", "swipes": 1}
        for n in range(12)
    ],
}


def test_engine_sandbox_computes_the_worked_example(scenario: Scenario) -> None:
    info = scenario.engine.start_instance(
        "station_reward",
        {"station": STATION, "withdrawal_swipe_cap": 2, "payout_month": "2026-10"},
        actor=SYSTEM,
    )
    assert info.status.value == "completed"
    result = info.data["station_result"]
    assert isinstance(result, dict)
    # 6.80 + 0.50 + 2.10 + 50 x 0.25 (50 %) + 12 x 0.50 + 5.00 fee + 3 + 2 = 37.90
    assert result["reward_total"] == "37.90"
    assert result["maintenance_reward"] == "8.55"  # 5.00 + (65 + 6) x 0.05
