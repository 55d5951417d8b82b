"""Stored deadlines and periods read as office people write them."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest

import forms
from forms.readable import readable

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.mark.parametrize(
    ("stored", "zh", "en"),
    [
        ("2026-10-03T18:00:00+08:00", "2026-10-03 18:00", "2026-10-03 18:00"),
        ("2026-10-03T10:00:00Z", "2026-10-03 18:00", "2026-10-03 18:00"),
        ("P7D", "7 天", "7 days"),
        ("PT24H", "24 小时", "24 hours"),
        ("P1D", "1 天", "1 day"),
        ("P3WD", "3 个工作日", "3 working days"),
        ("P1DT2H", "1 天 2 小时", "1 day 2 hours"),
    ],
)
def test_times_show_in_office_time_and_periods_in_words(
    stored: str, zh: str, en: str
) -> None:
    assert readable(stored, lang="zh", zone=SHANGHAI) == zh
    assert readable(stored, lang="en", zone=SHANGHAI) == en


@pytest.mark.parametrize("text", ["2026-10-03", "P", "PT", "P2026", "华远物流", "12.50"])
def test_other_text_is_left_alone(text: str) -> None:
    assert readable(text, lang="zh") is None


def test_a_computed_deadline_in_a_readonly_view_reads_as_a_time() -> None:
    shown = forms.view("2026-11-17T18:00:00+08:00", {"x-label": {"zh": "回访截止时间"}},
                       lang="zh")
    assert forms.plain(shown) == "2026-11-17 18:00"
    assert forms.plain(forms.view({"review_period": "P2D"}, lang="en")) == (
        "review_period: 2 days"
    )


def test_typed_in_text_and_the_exact_view_keep_what_was_stored() -> None:
    typed = {"type": "string", "x-label": {"zh": "凭证号"}}
    assert forms.plain(forms.view("P1D", typed, lang="zh")) == "P1D"
    exact = forms.view("2026-11-17T18:00:00+08:00", lang="zh", exact=True)
    assert forms.plain(exact) == "2026-11-17T18:00:00+08:00"
