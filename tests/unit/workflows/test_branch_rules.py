"""Worked examples for branch rewards: effective-station bonus, plan penalty, 2:8 split.

Each example runs the shipped ``branch_reward`` process; amounts are computed by hand.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import pytest

Run = Callable[[str, Mapping[str, Any]], dict[str, Any]]


@pytest.fixture
def branch(run_process: Run) -> Callable[..., dict[str, Any]]:
    def compute(**changes: Any) -> dict[str, Any]:
        data: dict[str, Any] = {
            "branch_id": "B1",
            "branch_name": "测试支局",
            "county": "测试县",
            "branch_type": "rural",
            "effective_station_plan": 4,
            "branch_head": "甲",
            "branch_head_phone": "13800000001",
            "maintainer": "乙",
            "maintainer_phone": "13800000002",
            "station_count": 4,
            "effective_station_count": 4,
            "maintenance_total": "20.00",
        }
        data.update(changes)
        result: dict[str, Any] = run_process("branch_reward", {"branch": data})[
            "branch_result"
        ]
        return result

    return compute


def test_rural_branch_with_every_station_effective(branch: Callable[..., Any]) -> None:
    result = branch()
    # 20.00 maintenance + 100.00 bonus = 120.00 -> head 24.00, maintainer 96.00
    assert result["effective_station_bonus"] == "100.00"
    assert result["penalty"] == "0.00"
    assert (
        result["net_total"],
        result["branch_head_amount"],
        result["maintainer_amount"],
    ) == ("120.00", "24.00", "96.00")


def test_rural_branch_below_plan_is_penalised(branch: Callable[..., Any]) -> None:
    result = branch(effective_station_count=3)
    # no bonus (3 of 4); 1 missing station x 2.00 = 2.00, borne 0.40 : 1.60
    assert result["effective_station_bonus"] == "0.00"
    assert result["missing_stations"] == 1
    assert (
        result["penalty"],
        result["penalty_branch_head"],
        result["penalty_maintainer"],
    ) == ("2.00", "0.40", "1.60")
    # 20.00 - 2.00 = 18.00 -> head 3.60, maintainer 14.40
    assert (result["branch_head_amount"], result["maintainer_amount"]) == (
        "3.60",
        "14.40",
    )


@pytest.mark.parametrize(
    ("effective", "bonus"),
    [(19, "0.00"), (20, "100.00"), (39, "100.00"), (40, "200.00"), (45, "200.00")],
)
def test_urban_bonus_per_twenty_effective_stations(
    branch: Callable[..., Any], effective: int, bonus: str
) -> None:
    result = branch(
        branch_type="urban",
        station_count=50,
        effective_station_count=effective,
        effective_station_plan=0,
    )
    assert result["effective_station_bonus"] == bonus


def test_split_rounds_the_head_share_and_gives_the_rest_to_the_maintainer(
    branch: Callable[..., Any],
) -> None:
    result = branch(
        maintenance_total="10.01", effective_station_count=3, effective_station_plan=3
    )
    # 10.01 x 0.2 = 2.002 -> 2.00; maintainer 10.01 - 2.00 = 8.01 (no fen lost)
    assert (
        result["net_total"],
        result["branch_head_amount"],
        result["maintainer_amount"],
    ) == ("10.01", "2.00", "8.01")


def test_penalty_larger_than_the_rewards_is_a_deduction(
    branch: Callable[..., Any],
) -> None:
    result = branch(
        maintenance_total="0.00",
        station_count=2,
        effective_station_count=0,
        effective_station_plan=3,
    )
    # 3 missing x 2.00 = 6.00 -> -6.00, head -1.20, maintainer -4.80
    assert (
        result["net_total"],
        result["branch_head_amount"],
        result["maintainer_amount"],
    ) == ("-6.00", "-1.20", "-4.80")


def test_an_empty_rural_branch_earns_no_bonus(decide: Callable[..., Any]) -> None:
    outputs = decide(
        "effective_station_bonus",
        {"branch_type": "rural", "station_count": 0, "effective_station_count": 0},
    )
    assert outputs["effective_station_bonus"] == "0.00"
