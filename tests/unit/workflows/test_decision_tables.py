"""Each shipped decision table at its edges, evaluated by SpiffWorkflow's DMN engine."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

Decide = Callable[[str, dict[str, Any]], dict[str, Any]]
WORKFLOWS = Path(__file__).resolve().parents[3] / "workflows"
DMN = "https://www.omg.org/spec/DMN/20191111/MODEL/"


@pytest.mark.parametrize(
    ("kind", "budget", "needed"),
    [
        ("visit", "0.00", False),
        ("visit", "5000.00", False),
        ("visit", "5000.01", True),
        ("reception", "5000.00", False),
        ("reception", "12000.00", True),
    ],
)
def test_general_manager_approves_budgets_above_the_threshold(
    decide: Decide, kind: str, budget: str, needed: bool
) -> None:
    outputs = decide(
        "visit_gm_threshold", {"application_kind": kind, "budget_total": budget}
    )
    assert outputs == {"gm_approval_required": needed}


@pytest.mark.parametrize(
    ("count", "households", "stations", "rate"),
    [
        (1, 3, 1, "0.20"),  # 33.3 %
        # 49.995 % would round to 50.00 %; the table compares exactly
        (9999, 20000, 1, "0.20"),
        (2, 4, 1, "0.25"),  # 50 %
        (1, 4, 2, "0.25"),  # 1 / (4 / 2) = 50 %
        (4, 5, 1, "0.25"),  # 80 %
        (801, 1000, 1, "0.30"),  # 80.1 %
        (1, 2, 2, "0.30"),  # 1 / (2 / 2) = 100 %
    ],
)
def test_electricity_share_is_not_rounded(
    decide: Decide, count: int, households: int, stations: int, rate: str
) -> None:
    outputs = decide(
        "electricity_rate",
        {
            "area": "rural",
            "electricity_count": count,
            "village_households": households,
            "stations_in_village": stations,
        },
    )
    assert outputs["electricity_fee_per_transaction"] == rate


def test_urban_rows_do_not_need_household_figures(decide: Decide) -> None:
    outputs = decide(
        "electricity_rate",
        {
            "area": "urban",
            "electricity_count": 0,
            "village_households": 0,
            "stations_in_village": 1,
        },
    )
    assert outputs["electricity_fee_per_transaction"] == "0.25"


@pytest.mark.parametrize(
    ("valid", "rate", "cover"),
    [
        (0, "0.30", "0.00"),
        (9, "0.30", "0.00"),
        (10, "0.50", "5.00"),
        (30, "0.50", "5.00"),
        (31, "0.60", "5.00"),
    ],
)
def test_withdrawal_table(decide: Decide, valid: int, rate: str, cover: str) -> None:
    outputs = decide("cash_withdrawal_rate", {"valid_withdrawals": valid})
    assert (
        outputs["withdrawal_fee_per_transaction"],
        outputs["communication_fee_cover"],
    ) == (rate, cover)


def test_rate_tables_give_the_seed_rates(decide: Decide) -> None:
    bills = decide("bill_payment_rates", {"payout_month": "2026-10"})
    referrals = decide("referral_rates", {"payout_month": "2026-10"})
    split = decide("branch_reward_split", {"branch_type": "urban"})
    assert bills == {
        "mobile_commission_rate": "0.01",
        "unicom_fee_per_transaction": "0.25",
        "telecom_commission_rate": "0.01",
    }
    assert referrals == {
        "huinongtong_reward_per_account": "1.00",
        "financial_lead_reward": "2.00",
        "car_insurance_lead_reward": "2.00",
        "car_insurance_conversion_reward": "30.00",
    }
    assert Decimal(split["branch_head_share"]) + Decimal(split["maintainer_share"]) == 1
    assert split["penalty_per_missing_station"] == "2.00"


@pytest.mark.parametrize("path", sorted(WORKFLOWS.glob("*.dmn")), ids=lambda p: p.stem)
def test_every_table_documents_its_reading(path: Path) -> None:
    root = etree.parse(str(path)).getroot()
    decision = root.find(f"{{{DMN}}}decision")
    assert decision is not None and decision.get("id") == path.stem
    assert len((decision.findtext(f"{{{DMN}}}description") or "").strip()) > 40
    for rule in root.iter(f"{{{DMN}}}rule"):
        assert (rule.findtext(f"{{{DMN}}}description") or "").strip(), rule.get("id")
