"""The monthly payout CSV (branches, stations, withdrawals), parsed all-or-nothing.

Registers the ``payout_csv`` form validator; each bad row is reported with its line.
A branch's ``maintainer_account`` must name an active station maintainer's account when
the caller can look accounts up (``Context.account``), so a typo is refused at import
instead of sending that branch's confirmations to every maintainer.
Pure Python: never imports engine or flask. Format: workflows/README.md.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from forms import Account, Context, FieldInvalid, register_context_validator

MAX_MESSAGES = 30
# The lane of the stations' confirmations (workflows/station_confirmation.bpmn).
MAINTAINER_GROUP = "station_maintainer"
SECTIONS = ("branches", "stations", "withdrawals")
# fmt: off
COLUMNS: Mapping[str, tuple[str, ...]] = {
    "branches": ("branch_id", "branch_name", "county", "branch_type",
                 "effective_station_plan", "branch_head", "branch_head_phone",
                 "maintainer", "maintainer_phone", "maintainer_account"),
    "stations": ("station_id", "station_name", "branch_id", "village",
                 "village_households", "stations_in_village", "area", "sms_phone",
                 "mobile_count", "mobile_amount", "unicom_count", "telecom_count",
                 "telecom_amount", "electricity_count", "shangyitong_count",
                 "huinongtong_accounts", "financial_leads", "car_insurance_leads",
                 "car_insurance_conversions", "effective"),
    "withdrawals": ("station_id", "card_no", "swiped_at", "amount"),
}
# Columns a file may leave out (files from before they existed still import).
OPTIONAL: Mapping[str, frozenset[str]] = {"branches": frozenset({"maintainer_account"})}
_FLAGS = {"y": True, "yes": True, "true": True, "1": True, "是": True,
          "n": False, "no": False, "false": False, "0": False, "否": False}
# fmt: on
_AREAS = {"rural": "rural", "农村": "rural", "urban": "urban", "城市": "urban"}
_MARKER = re.compile(r"\[(\w+)\]")
Row = tuple[int, dict[str, str]]
Cell = Callable[[str], object]


class _Bad(Exception):
    """One cell is invalid: English and Chinese reasons."""

    def __init__(self, en: str, zh: str) -> None:
        super().__init__(en)
        self.en, self.zh = en, zh


@dataclass
class _Problems:
    en: list[str] = field(default_factory=list)
    zh: list[str] = field(default_factory=list)

    def add(self, line: int | None, en: str, zh: str) -> None:
        self.en.append(f"line {line}: {en}" if line else en)
        self.zh.append(f"第 {line} 行：{zh}" if line else zh)

    def raise_if_any(self) -> None:
        if not self.en:
            return
        en, zh = self.en[:MAX_MESSAGES], self.zh[:MAX_MESSAGES]
        if len(self.en) > MAX_MESSAGES:
            more = len(self.en) - MAX_MESSAGES
            en.append(f"... and {more} more problems; nothing was imported")
            zh.append(f"……另有 {more} 处问题；未导入任何数据")
        raise FieldInvalid(en, zh)


def _matching(pattern: str, en: str, zh: str) -> Callable[[str], str]:
    """A cell check: the value must match ``pattern`` entirely."""
    compiled = re.compile(pattern)

    def check(value: str) -> str:
        if not compiled.fullmatch(value):
            raise _Bad(f"{value!r} {en}", f"「{value}」{zh}")
        return value

    return check


def _choosing(words: Mapping[str, object], en: str, zh: str) -> Cell:
    """A cell check: the value must be one of ``words`` (any case)."""

    def check(value: str) -> object:
        if value.lower() not in words:
            raise _Bad(f"{value!r} {en}", f"「{value}」{zh}")
        return words[value.lower()]

    return check


_text = _matching(r"\S.{0,99}", "must be 1-100 characters", "应为1–100个字符")
_ident = _matching(r"[A-Za-z0-9][A-Za-z0-9_-]{0,31}",
                   "is not an id (letters, digits, - or _)", "不是有效编号（字母、数字、- 或 _）")
_phone = _matching(r"1[3-9][0-9]{9}", "is not an 11-digit mobile number", "不是11位手机号码")
_username = _matching(r"[a-z][a-z0-9._-]{1,63}",
                      "is not a user name (lower-case letters, digits, . _ -)",
                      "不是用户名（小写字母、数字、. _ -）")
_card = _matching(r"[0-9A-Za-z*]{4,32}", "is not a card number (4-32 characters)",
                  "不是卡号（4–32位数字、字母或 *）")
_whole = _matching(r"[0-9]{1,9}", "is not a whole number >= 0", "不是非负整数")
_amount = _matching(r"(0|[1-9][0-9]{0,11})(\.[0-9]{1,2})?",
                    "is not an amount like 123.45", "不是金额（如 123.45，最多两位小数）")
_area = _choosing(_AREAS, "must be rural or urban", "应为 rural（农村）或 urban（城市）")
_flag = _choosing(_FLAGS, "must be Y or N", "应为 Y 或 N")


def _count(value: str) -> int:
    return int(_whole(value))


def _money(value: str) -> str:
    return str(Decimal(_amount(value)).quantize(Decimal("0.01")))


def _moment(value: str) -> datetime:
    for layout in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M"):
        try:
            return datetime.strptime(value, layout)
        except ValueError:
            continue
    raise _Bad(f"{value!r} is not a time like 2026-10-03 09:15",
               f"「{value}」不是时间（如 2026-10-03 09:15）")


# fmt: off
BRANCH_CELLS: Mapping[str, Cell] = {
    "branch_id": _ident, "branch_name": _text, "county": _text, "branch_type": _area,
    "effective_station_plan": _count, "branch_head": _text,
    "branch_head_phone": _phone, "maintainer": _text, "maintainer_phone": _phone,
    "maintainer_account": lambda v: _username(v) if v else ""}
STATION_CELLS: Mapping[str, Cell] = {
    "station_id": _ident, "station_name": _text, "branch_id": _ident,
    "village": lambda v: _text(v) if v else "",
    "village_households": lambda v: _count(v) if v else 0,
    "stations_in_village": lambda v: _count(v) if v else 1, "area": _area,
    "sms_phone": _phone, "mobile_count": _count, "mobile_amount": _money,
    "unicom_count": _count, "telecom_count": _count, "telecom_amount": _money,
    "electricity_count": _count, "shangyitong_count": _count,
    "huinongtong_accounts": _count, "financial_leads": _count,
    "car_insurance_leads": _count, "car_insurance_conversions": _count,
    "effective": _flag}
WITHDRAWAL_CELLS: Mapping[str, Cell] = {
    "station_id": _ident, "card_no": _card, "swiped_at": _moment, "amount": _money}
# fmt: on


def _sections(text: str, problems: _Problems) -> dict[str, list[Row]]:
    """Split the text into its sections; each row keyed by the section's header."""
    found: dict[str, list[Row]] = {}
    current: str | None = None
    header: tuple[str, ...] = ()
    reader = csv.reader(text.lstrip("\ufeff").splitlines())
    for raw_cells in reader:
        line, cells = reader.line_num, [c.strip() for c in raw_cells]
        if not any(cells) or cells[0].startswith("#"):
            continue
        marker = _MARKER.fullmatch(cells[0]) if len(cells) == 1 else None
        if marker:
            current, header = marker.group(1), ()
            if current in SECTIONS and current not in found:
                found[current] = []
                continue
            problems.add(line, f"unknown or repeated section [{current}]",
                         f"未知或重复的分节 [{current}]")
            current = None
        elif current is None:
            problems.add(line, "data before a section line such as [stations]",
                         "数据前缺少分节标记（如 [stations]）")
        elif not header:
            header = tuple(cells)
            if not _header_fits(current, header):
                problems.add(line, *_header_problem(current))
                current = None
        elif len(cells) != len(header):
            problems.add(line, f"has {len(cells)} cells, the header has {len(header)}",
                         f"有 {len(cells)} 列，表头为 {len(header)} 列")
        else:
            found[current].append((line, dict(zip(header, cells))))
    return found


def _header_fits(section: str, header: tuple[str, ...]) -> bool:
    """Every column once, those of ``OPTIONAL`` possibly left out, and no other."""
    wanted, optional = set(COLUMNS[section]), OPTIONAL.get(section, frozenset())
    return (len(set(header)) == len(header) and set(header) <= wanted
            and wanted - set(header) <= optional)


def _header_problem(section: str) -> tuple[str, str]:
    columns = ", ".join(COLUMNS[section])
    left_out = ", ".join(sorted(OPTIONAL.get(section, ())))
    en = f"[{section}] header must name the columns {columns}"
    zh = f"[{section}] 表头应为：{columns}"
    if left_out:
        en, zh = f"{en} ({left_out} may be left out)", f"{zh}（{left_out} 可省略）"
    return en, zh


def _cells(row: Row, specs: Mapping[str, Cell],
           problems: _Problems) -> dict[str, object] | None:
    """Parse one row's cells; None (and a message per bad cell) when any is bad."""
    line, raw = row
    out: dict[str, object] = {}
    for column, parse_cell in specs.items():
        try:
            out[column] = parse_cell(raw.get(column, ""))
        except _Bad as bad:
            problems.add(line, f"{column} {bad.en}", f"{column} {bad.zh}")
    return out if len(out) == len(specs) else None


def _unique(rows: list[Row], key: str, problems: _Problems,
            what: tuple[str, str]) -> None:
    seen: dict[str, int] = {}
    for line, raw in rows:
        first = seen.setdefault(raw[key], line)
        if first != line:
            problems.add(line, f"{what[0]} {raw[key]!r} repeats line {first}",
                         f"{what[1]}「{raw[key]}」与第 {first} 行重复")


def _station(row: Row, branches: Mapping[str, dict[str, object]],
             problems: _Problems) -> dict[str, object] | None:
    """One station row joined with its branch, or None when it is not valid."""
    line = row[0]
    parsed = _cells(row, STATION_CELLS, problems)
    if parsed is None:
        return None
    branch = branches.get(str(parsed["branch_id"]))
    if branch is None:
        problems.add(line, f"branch_id {parsed['branch_id']!r} is not in [branches]",
                     f"branch_id「{parsed['branch_id']}」不在 [branches] 中")
        return None
    households, sharing = parsed["village_households"], parsed["stations_in_village"]
    if parsed["area"] == "rural" and not (parsed["village"] and households and sharing):
        problems.add(line, "a rural station needs village, village_households >= 1 and "
                     "stations_in_village >= 1",
                     "农村站点必须填写 village、village_households（≥1）"
                     "和 stations_in_village（≥1）")
        return None
    parsed["stations_in_village"] = sharing or 1
    others = {k: v for k, v in branch.items() if k != "branch_id"}
    return {"line": line, **parsed, **others}


def _account_problem(name: str, account: Account | None) -> tuple[str, str] | None:
    """Why ``name`` may not sign a branch's confirmations (English, Chinese), if so."""
    if account is None:
        return "is not a user account", "不是系统中的用户账号"
    if not account.active:
        return "is deactivated", "账号已停用"
    if account.auditor:
        return "is an auditor (read-only) account", "是审计员（只读）账号"
    if MAINTAINER_GROUP not in account.groups:
        return (f"is not in group {MAINTAINER_GROUP} (station maintainers)",
                f"不在便民站维护人员组（{MAINTAINER_GROUP}）中")
    return None


def _check_account(row: Row, parsed: Mapping[str, object], context: Context,
                   problems: _Problems) -> None:
    name = str(parsed["maintainer_account"])
    if not name or context.account is None:
        return
    found = _account_problem(name, context.account(name))
    if found is not None:
        problems.add(row[0], f"maintainer_account {name!r} {found[0]}",
                     f"maintainer_account 「{name}」{found[1]}")


def _stations(found: dict[str, list[Row]], problems: _Problems,
              context: Context) -> list[dict[str, object]]:
    branches: dict[str, dict[str, object]] = {}
    for row in found.get("branches", []):
        parsed = _cells(row, BRANCH_CELLS, problems)
        if parsed is not None:
            _check_account(row, parsed, context, problems)
            branches.setdefault(str(parsed["branch_id"]), parsed)
    _unique(found.get("branches", []), "branch_id", problems, ("branch", "支局"))
    _unique(found.get("stations", []), "station_id", problems, ("station", "站点"))
    stations = [s for s in (_station(row, branches, problems)
                            for row in found.get("stations", [])) if s is not None]
    used = {s["branch_id"] for s in stations}
    for line, raw in found.get("branches", []):
        if not problems.en and raw["branch_id"] not in used:
            problems.add(line, f"branch {raw['branch_id']!r} has no stations",
                         f"支局「{raw['branch_id']}」没有站点")
    return stations


def _withdrawals(found: dict[str, list[Row]], stations: list[dict[str, object]],
                 problems: _Problems, month: str | None) -> None:
    """Count swipes per station, card and day (the reward rule caps them later).

    With ``month`` (YYYY-MM), a swipe of any other month is a problem of its line.
    """
    by_id = {str(s["station_id"]): s for s in stations}
    counts: dict[str, dict[tuple[str, str], int]] = {k: {} for k in by_id}
    totals = {k: Decimal("0.00") for k in by_id}
    months: set[str] = set()
    for line, raw in found.get("withdrawals", []):
        parsed = _cells((line, raw), WITHDRAWAL_CELLS, problems)
        station_id = str(parsed["station_id"]) if parsed else ""
        if parsed and station_id not in by_id:
            problems.add(line, f"station_id {station_id!r} is not in [stations]",
                         f"station_id「{station_id}」不在 [stations] 中")
        if not parsed or station_id not in by_id:
            continue
        moment = parsed["swiped_at"]
        assert isinstance(moment, datetime)
        months.add(moment.strftime("%Y-%m"))
        if month is not None and moment.strftime("%Y-%m") != month:
            shown = moment.strftime("%Y-%m-%d %H:%M")
            problems.add(line, f"swiped_at {shown} is outside the payout month {month}",
                         f"刷卡时间 {shown} 不在兑现月份 {month} 内")
            continue
        key = (str(parsed["card_no"]), moment.date().isoformat())
        counts[station_id][key] = counts[station_id].get(key, 0) + 1
        totals[station_id] += Decimal(str(parsed["amount"]))
    if month is None and len(months) > 1:
        spread = sorted(months)
        problems.add(None, f"withdrawals span several months: {', '.join(spread)}",
                     f"取款明细跨越多个月份：{'、'.join(spread)}")
    for station_id, station in by_id.items():
        days = sorted(counts[station_id].items(), key=lambda kv: (kv[0][1], kv[0][0]))
        station["withdrawal_swipes"] = [{"card_no": c, "swipe_date": d, "swipes": n}
                                        for (c, d), n in days]
        station["withdrawal_count"] = sum(counts[station_id].values())
        station["withdrawal_amount"] = str(totals[station_id])


def parse(text: object, context: Context | None = None) -> list[dict[str, object]]:
    """Parse the month's payout CSV into one dict per station, or raise FieldInvalid.

    When the instance's data names the ``payout_month``, every withdrawal must fall in
    it: a file of another month is refused line by line, not paid.
    """
    context = context or Context()
    month = context.data.get("payout_month")
    if not isinstance(text, str) or not text.strip():
        raise FieldInvalid(["paste or upload the month's payout CSV"],
                           ["请粘贴或上传本月的兑现明细 CSV"])
    problems = _Problems()
    found = _sections(text, problems)
    for name in ("branches", "stations"):
        if not found.get(name):
            problems.add(None, f"section [{name}] is missing or empty",
                         f"缺少 [{name}] 分节或该分节无数据")
    stations = _stations(found, problems, context)
    _withdrawals(found, stations, problems, month if isinstance(month, str) else None)
    problems.raise_if_any()
    return stations


register_context_validator("payout_csv", parse)
