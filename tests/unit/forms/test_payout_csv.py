"""The payout CSV parser: the shipped sample, every row check, all-or-nothing import."""

from __future__ import annotations

from pathlib import Path

import pytest

import forms
from forms import Account, Context, FieldInvalid
from forms.payout_csv import parse

SAMPLE = (
    Path(__file__).resolve().parents[3]
    / "workflows"
    / "samples"
    / "station_transactions_2026-10.csv"
)
BRANCHES = (
    "[branches]\n"
    "branch_id,branch_name,county,branch_type,effective_station_plan,branch_head,"
    "branch_head_phone,maintainer,maintainer_phone\n"
    "B1,城关支局,平安县,urban,2,王建国,13800000101,李晓明,13800000102\n"
)
STATION_HEADER = (
    "station_id,station_name,branch_id,village,village_households,"
    "stations_in_village,area,sms_phone,mobile_count,mobile_amount,"
    "unicom_count,telecom_count,telecom_amount,electricity_count,"
    "shangyitong_count,huinongtong_accounts,financial_leads,"
    "car_insurance_leads,car_insurance_conversions,effective\n"
)
GOOD_STATION = "S1,东街站,B1,,,,urban,13700001101,18,1260,6,4,300.5,19,6,2,1,1,0,Y\n"


def csv_text(*stations: str, withdrawals: str = "") -> str:
    text = BRANCHES + "\n[stations]\n" + STATION_HEADER + "".join(stations)
    if withdrawals:
        text += "[withdrawals]\nstation_id,card_no,swiped_at,amount\n" + withdrawals
    return text


def problems(text: str) -> list[str]:
    with pytest.raises(FieldInvalid) as caught:
        parse(text)
    assert caught.value.messages_zh is not None
    assert len(caught.value.messages_zh) == len(caught.value.messages)
    return caught.value.messages


def test_the_sample_parses_into_twelve_stations() -> None:
    stations = parse(SAMPLE.read_text(encoding="utf-8"))
    assert [s["station_id"] for s in stations][:3] == ["S101", "S102", "S103"]
    assert len(stations) == 12
    assert {s["branch_id"] for s in stations} == {"B01", "B02", "B03"}
    s302 = next(s for s in stations if s["station_id"] == "S302")
    assert s302["withdrawal_count"] == 11
    assert {
        "card_no": "6221580003020000",
        "swipe_date": "2026-10-01",
        "swipes": 3,
    } in s302["withdrawal_swipes"]
    assert s302["county"] == "长宁县" and s302["branch_type"] == "rural"


def test_cells_are_typed_and_amounts_have_two_places() -> None:
    (station,) = parse(csv_text(GOOD_STATION))
    assert station["mobile_amount"] == "1260.00"
    assert station["telecom_amount"] == "300.50"
    assert station["mobile_count"] == 18 and station["effective"] is True
    assert station["village_households"] == 0 and station["stations_in_village"] == 1
    assert station["withdrawal_swipes"] == [] and station["withdrawal_amount"] == "0.00"
    assert station["line"] == 7


def test_withdrawals_are_counted_per_card_and_day() -> None:
    rows = (
        "S1,622100001111,2026-10-03 09:15,100.00\n"
        "S1,622100001111,2026-10-03 10:20:05,200\n"
        "S1,622100001111,2026-10-04 09:00,50.5\n"
    )
    (station,) = parse(csv_text(GOOD_STATION, withdrawals=rows))
    assert station["withdrawal_swipes"] == [
        {"card_no": "622100001111", "swipe_date": "2026-10-03", "swipes": 2},
        {"card_no": "622100001111", "swipe_date": "2026-10-04", "swipes": 1},
    ]
    assert station["withdrawal_count"] == 3 and station["withdrawal_amount"] == "350.50"


def test_a_bad_amount_names_its_line_and_nothing_is_imported() -> None:
    bad = GOOD_STATION.replace("S1,", "S2,").replace("1260,", "12.345,")
    messages = problems(csv_text(GOOD_STATION, bad))
    assert messages == ["line 8: mobile_amount '12.345' is not an amount like 123.45"]


@pytest.mark.parametrize(
    ("station", "expected"),
    [
        (
            GOOD_STATION.replace(",B1,", ",B9,"),
            "line 7: branch_id 'B9' is not in [branches]",
        ),
        (
            GOOD_STATION.replace(",urban,", ",rural,"),
            "line 7: a rural station needs village",
        ),
        (
            GOOD_STATION.replace(",Y\n", ",maybe\n"),
            "line 7: effective 'maybe' must be Y or N",
        ),
        (
            GOOD_STATION.replace("13700001101", "110"),
            "line 7: sms_phone '110' is not an 11-digit",
        ),
        (
            GOOD_STATION.replace(",18,", ",-1,"),
            "line 7: mobile_count '-1' is not a whole number",
        ),
        (
            GOOD_STATION.replace(",6,2,1,1,0,Y", ",6,2,1,1,Y"),
            "line 7: has 19 cells, the header",
        ),
    ],
)
def test_row_checks(station: str, expected: str) -> None:
    assert problems(csv_text(station))[0].startswith(expected)


def test_duplicate_station_ids_are_refused() -> None:
    messages = problems(csv_text(GOOD_STATION, GOOD_STATION))
    assert messages == ["line 8: station 'S1' repeats line 7"]


def test_withdrawal_checks() -> None:
    rows = (
        "S9,622100001111,2026-10-03 09:15,100.00\n"
        "S1,62,2026-10-03 09:15,100.00\n"
        "S1,622100001111,3 Oct,100.00\n"
        "S1,622100001111,2026-10-31 23:50,100.00\n"
        "S1,622100001111,2026-11-01 08:00,100.00\n"
    )
    messages = problems(csv_text(GOOD_STATION, withdrawals=rows))
    assert messages[0] == "line 10: station_id 'S9' is not in [stations]"
    assert messages[1].startswith("line 11: card_no '62' is not a card number")
    assert messages[2].startswith("line 12: swiped_at '3 Oct' is not a time")
    assert messages[3] == "withdrawals span several months: 2026-10, 2026-11"


def test_structure_checks() -> None:
    assert problems("")[0] == "paste or upload the month's payout CSV"
    assert problems(BRANCHES) == ["section [stations] is missing or empty"]
    wrong_header = BRANCHES + "[stations]\nstation_id,name\n"
    assert problems(wrong_header)[0].startswith("line 5: [stations] header must name")
    assert problems("S1,x\n" + csv_text(GOOD_STATION))[0] == (
        "line 1: data before a section line such as [stations]"
    )
    assert problems(csv_text(GOOD_STATION) + "[extras]\n")[0].startswith(
        "line 8: unknown or repeated section [extras]"
    )


def test_branch_without_stations_is_refused() -> None:
    text = csv_text(GOOD_STATION).replace(
        "[stations]",
        "B2,西关支局,平安县,urban,1,张三,13800000201,李四,13800000202\n[stations]",
    )
    assert problems(text) == ["line 5: branch 'B2' has no stations"]


def test_many_problems_are_capped() -> None:
    bad = "".join(
        GOOD_STATION.replace("S1,", f"S{n},").replace(",18,", ",x,") for n in range(40)
    )
    messages = problems(csv_text(bad))
    assert len(messages) == 31
    assert messages[-1] == "... and 10 more problems; nothing was imported"


def test_the_payout_import_form_stores_the_parsed_stations() -> None:
    spec = forms.load("payout_import")
    data = forms.validate(spec, {"transactions_csv": csv_text(GOOD_STATION)})
    stations = data["transactions_csv"]
    assert isinstance(stations, list) and stations[0]["station_id"] == "S1"
    with pytest.raises(forms.FormErrors):
        forms.validate(spec, {"transactions_csv": csv_text(GOOD_STATION, GOOD_STATION)})


def test_swipes_outside_the_payout_month_are_refused_line_by_line() -> None:
    rows = ("S1,622100001111,2026-10-03 09:15,100.00\n"
            "S1,622100001111,2026-09-30 23:59,20.00\n")
    text = csv_text(GOOD_STATION, withdrawals=rows)
    with pytest.raises(FieldInvalid) as caught:
        parse(text, forms.Context(data={"payout_month": "2026-09"}))
    assert caught.value.messages == [
        "line 10: swiped_at 2026-10-03 09:15 is outside the payout month 2026-09"]
    assert caught.value.messages_zh == [
        "第 10 行：刷卡时间 2026-10-03 09:15 不在兑现月份 2026-09 内"]


def test_the_import_form_refuses_another_months_file_for_the_month_being_paid() -> None:
    spec = forms.load("payout_import")
    sample = SAMPLE.read_text(encoding="utf-8")
    october = forms.Context(data={"payout_month": "2026-10"})
    assert forms.validate(spec, {"transactions_csv": sample}, october)
    with pytest.raises(forms.FormErrors) as caught:
        forms.validate(spec, {"transactions_csv": sample},
                       forms.Context(data={"payout_month": "2026-09"}))
    assert "outside the payout month 2026-09" in caught.value.errors["transactions_csv"][0]


ACCOUNT_HEADER = (
    "[branches]\n"
    "branch_id,branch_name,county,branch_type,effective_station_plan,branch_head,"
    "branch_head_phone,maintainer,maintainer_phone,maintainer_account\n"
)
ACCOUNTS = {
    "hu.bin": Account(active=True, auditor=False, groups=frozenset({"station_maintainer"})),
    "old.hand": Account(active=False, auditor=False,
                        groups=frozenset({"station_maintainer"})),
    "auditor": Account(active=True, auditor=True, groups=frozenset()),
    "li.na": Account(active=True, auditor=False, groups=frozenset({"supervisor"})),
}
ACCOUNTS["guo.ping"] = ACCOUNTS["hu.bin"]
LOOKUP = Context(account=ACCOUNTS.get)


def with_account(account: str) -> str:
    return (ACCOUNT_HEADER + f"B1,城关支局,平安县,urban,2,王建国,13800000101,胡斌,"
            f"13800000102,{account}\n\n[stations]\n" + STATION_HEADER + GOOD_STATION)


def test_the_sample_names_each_branchs_maintainer_account() -> None:
    stations = parse(SAMPLE.read_text(encoding="utf-8"), LOOKUP)
    assert {(s["branch_id"], s["maintainer_account"]) for s in stations} == {
        ("B01", "hu.bin"), ("B02", "hu.bin"), ("B03", "guo.ping")}


def test_a_file_without_the_account_column_still_imports_with_no_account() -> None:
    (station,) = parse(csv_text(GOOD_STATION), LOOKUP)
    assert station["maintainer_account"] == ""
    (station,) = parse(with_account(""), LOOKUP)  # a blank cell: no one named
    assert station["maintainer_account"] == ""
    (station,) = parse(with_account("hu.bin"), LOOKUP)
    assert station["maintainer_account"] == "hu.bin"


@pytest.mark.parametrize(("account", "en", "zh"), [
    ("nobody", "line 3: maintainer_account 'nobody' is not a user account",
     "第 3 行：maintainer_account 「nobody」不是系统中的用户账号"),
    ("old.hand", "line 3: maintainer_account 'old.hand' is deactivated",
     "第 3 行：maintainer_account 「old.hand」账号已停用"),
    ("auditor", "line 3: maintainer_account 'auditor' is an auditor (read-only) account",
     "第 3 行：maintainer_account 「auditor」是审计员（只读）账号"),
    ("li.na", "line 3: maintainer_account 'li.na' is not in group station_maintainer "
     "(station maintainers)",
     "第 3 行：maintainer_account 「li.na」不在便民站维护人员组（station_maintainer）中"),
])
def test_a_maintainer_account_that_cannot_sign_is_refused_with_its_line(
    account: str, en: str, zh: str
) -> None:
    with pytest.raises(FieldInvalid) as caught:
        parse(with_account(account), LOOKUP)
    assert caught.value.messages == [en]
    assert caught.value.messages_zh == [zh]


def test_without_an_account_lookup_only_the_spelling_is_checked() -> None:
    (station,) = parse(with_account("nobody"))
    assert station["maintainer_account"] == "nobody"
    with pytest.raises(FieldInvalid) as caught:
        parse(with_account("Hu Bin"))
    assert caught.value.messages[0] == (
        "line 3: maintainer_account 'Hu Bin' is not a user name (lower-case letters, "
        "digits, . _ -)")
    assert caught.value.messages_zh is not None
    assert caught.value.messages_zh[0] == (
        "第 3 行：maintainer_account 「Hu Bin」不是用户名（小写字母、数字、. _ -）")


def test_a_header_may_leave_out_only_the_optional_account_column() -> None:
    text = csv_text(GOOD_STATION).replace(",maintainer_phone\n", "\n", 1)
    assert problems(text)[0] == (
        "line 2: [branches] header must name the columns branch_id, branch_name, "
        "county, branch_type, effective_station_plan, branch_head, branch_head_phone, "
        "maintainer, maintainer_phone, maintainer_account (maintainer_account may be "
        "left out)")
