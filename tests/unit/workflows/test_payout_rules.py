"""Worked examples for every station reward rule, amounts computed by hand in each test.

Each example runs the shipped ``station_reward`` process (its DMN tables and scripts)
for one station; boundaries follow the readings documented in workflows/README.md.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import pytest

Run = Callable[[str, Mapping[str, Any]], dict[str, Any]]


def station(**changes: Any) -> dict[str, Any]:
    """An effective rural station with no business at all, changed by ``changes``."""
    base: dict[str, Any] = {
        "station_id": "S1",
        "station_name": "测试站",
        "branch_id": "B1",
        "branch_name": "测试支局",
        "county": "测试县",
        "branch_type": "rural",
        "effective_station_plan": 1,
        "branch_head": "甲",
        "branch_head_phone": "13800000001",
        "maintainer": "乙",
        "maintainer_phone": "13800000002",
        "sms_phone": "13700000001",
        "village": "测试村",
        "village_households": 100,
        "stations_in_village": 1,
        "area": "rural",
        "effective": True,
        "mobile_count": 0,
        "mobile_amount": "0.00",
        "unicom_count": 0,
        "telecom_count": 0,
        "telecom_amount": "0.00",
        "electricity_count": 0,
        "shangyitong_count": 0,
        "huinongtong_accounts": 0,
        "financial_leads": 0,
        "car_insurance_leads": 0,
        "car_insurance_conversions": 0,
        "withdrawal_swipes": [],
    }
    base.update(changes)
    return base


def swipes(count: int, *, per_card: int = 1) -> list[dict[str, Any]]:
    """``count`` cards, each swiped ``per_card`` times on its own day."""
    return [
        {
            "card_no": f"6221{n:08d}",
            "swipe_date": f"2026-10-{1 + n % 28:02d}",
            "swipes": per_card,
        }
        for n in range(count)
    ]


@pytest.fixture
def reward(run_process: Run) -> Callable[..., dict[str, Any]]:
    def compute(**changes: Any) -> dict[str, Any]:
        data = run_process(
            "station_reward",
            {
                "station": station(**changes),
                "withdrawal_swipe_cap": 2,
                "payout_month": "2026-10",
            },
        )
        result: dict[str, Any] = data["station_result"]
        return result

    return compute


def test_bill_payments_pay_one_percent_and_a_quarter_yuan(
    reward: Callable[..., Any],
) -> None:
    result = reward(
        mobile_count=40,
        mobile_amount="1234.56",
        unicom_count=7,
        telecom_count=3,
        telecom_amount="99.99",
    )
    # 1234.56 x 1% = 12.3456 -> 12.35; 7 x 0.25 = 1.75; 99.99 x 1% = 0.9999 -> 1.00
    assert result["lines"]["mobile"] == "12.35"
    assert result["lines"]["unicom"] == "1.75"
    assert result["lines"]["telecom"] == "1.00"


@pytest.mark.parametrize(
    ("count", "tier", "amount"),
    [
        (4999, "rural_below_50", "999.80"),  # 49.99 % x 0.20
        (5000, "rural_50_to_80", "1250.00"),  # 50 % x 0.25
        (8000, "rural_50_to_80", "2000.00"),  # 80 % x 0.25
        (8001, "rural_above_80", "2400.30"),  # 80.01 % x 0.30
    ],
)
def test_rural_electricity_tiers_at_the_boundaries(
    reward: Callable[..., Any], count: int, tier: str, amount: str
) -> None:
    # 20 000 households shared by two stations count as 10 000 for each station.
    result = reward(
        electricity_count=count, village_households=20000, stations_in_village=2
    )
    assert result["electricity_tier"] == tier
    assert result["lines"]["electricity"] == amount
    assert result["electricity_share_percent"] == f"{count / 100:.2f}"


def test_households_are_divided_among_the_village_stations(
    reward: Callable[..., Any],
) -> None:
    # 60 transactions in a village of 180 households: alone 33.33 % (0.20 x 60 = 12.00),
    # with three stations 60 / 60 = 100 % (0.30 x 60 = 18.00).
    assert (
        reward(electricity_count=60, village_households=180)["lines"]["electricity"]
        == "12.00"
    )
    shared = reward(electricity_count=60, village_households=180, stations_in_village=3)
    assert shared["lines"]["electricity"] == "18.00"


@pytest.mark.parametrize(
    ("count", "tier", "amount"),
    [
        (19, "urban_below_20", "4.75"),  # 19 x 0.25
        (20, "urban_20_or_more", "6.00"),  # 20 x 0.30
    ],
)
def test_urban_electricity_by_transactions(
    reward: Callable[..., Any], count: int, tier: str, amount: str
) -> None:
    result = reward(
        area="urban", village="", village_households=0, electricity_count=count
    )
    assert result["electricity_tier"] == tier
    assert result["lines"]["electricity"] == amount
    assert result["electricity_share_percent"] == ""


@pytest.mark.parametrize(
    ("count", "per_swipe", "fee_cover"),
    [
        (9, "2.70", "0.00"),  # 9 x 0.30, fee not covered
        (10, "5.00", "5.00"),  # 10 x 0.50, 5-yuan communication fee covered
        (30, "15.00", "5.00"),  # 30 x 0.50
        (31, "18.60", "5.00"),  # 31 x 0.60
    ],
)
def test_cash_withdrawal_tiers(
    reward: Callable[..., Any], count: int, per_swipe: str, fee_cover: str
) -> None:
    result = reward(withdrawal_swipes=swipes(count))
    assert result["valid_withdrawals"] == count
    assert result["lines"]["withdrawal"] == per_swipe
    assert result["lines"]["communication_fee_cover"] == fee_cover


def test_a_card_swiped_three_times_in_a_day_counts_twice(
    reward: Callable[..., Any],
) -> None:
    # One card three times on 3 October (2 valid) + 8 cards once: 10 valid, not 11.
    cards = [
        {"card_no": "622100000001", "swipe_date": "2026-10-03", "swipes": 3},
        *swipes(8),
    ]
    result = reward(withdrawal_swipes=cards)
    assert result["valid_withdrawals"] == 10
    assert result["lines"]["withdrawal"] == "5.00"  # 10 x 0.50
    assert result["lines"]["communication_fee_cover"] == "5.00"


def test_the_swipe_cap_is_per_card_and_day(reward: Callable[..., Any]) -> None:
    # The same card twice on each of two days counts four times.
    cards = [
        {"card_no": "622100000001", "swipe_date": "2026-10-03", "swipes": 2},
        {"card_no": "622100000001", "swipe_date": "2026-10-04", "swipes": 2},
    ]
    assert reward(withdrawal_swipes=cards)["valid_withdrawals"] == 4


def test_referrals(reward: Callable[..., Any]) -> None:
    result = reward(
        huinongtong_accounts=3,
        financial_leads=2,
        car_insurance_leads=2,
        car_insurance_conversions=1,
    )
    assert result["lines"]["referral"] == "41.00"  # 3 x 1 + 2 x 2 + 2 x 2 + 1 x 30


@pytest.mark.parametrize(
    ("changes", "amount"),
    [
        # 30 bill payments (10 + 5 + 5 + 10) and 5 商易通: 5.00 + 35 x 0.05 = 6.75
        ({"shangyitong_count": 5}, "6.75"),
        # 29 bill payments: no base, 34 x 0.05 = 1.70
        ({"shangyitong_count": 5, "electricity_count": 9}, "1.70"),
        # only 4 商易通: no base, 34 x 0.05 = 1.70
        ({"shangyitong_count": 4}, "1.70"),
        # not an effective station: nothing
        ({"shangyitong_count": 5, "effective": False}, "0.00"),
    ],
)
def test_maintenance_reward_base_and_commission(
    reward: Callable[..., Any], changes: dict[str, Any], amount: str
) -> None:
    result = reward(
        **{
            "mobile_count": 10,
            "unicom_count": 5,
            "telecom_count": 5,
            "electricity_count": 10,
            **changes,
        }
    )
    assert result["maintenance_reward"] == amount


def test_station_total_is_the_sum_of_rounded_lines(reward: Callable[..., Any]) -> None:
    result = reward(
        mobile_count=12,
        mobile_amount="900.00",
        unicom_count=3,
        telecom_count=2,
        telecom_amount="160.00",
        electricity_count=60,
        village_households=120,
        huinongtong_accounts=1,
        financial_leads=3,
        car_insurance_leads=2,
        car_insurance_conversions=1,
        withdrawal_swipes=swipes(10),
    )
    # 9.00 + 0.75 + 1.60 + 60 x 0.25 (50 %) 15.00 + 10 x 0.50 5.00 + fee 5.00
    # + referrals 1 + 6 + 4 + 30 = 41.00  ->  77.35
    assert result["computed_total"] == "77.35"
    assert result["reward_total"] == "77.35"
    assert result["status"] == "pending"
