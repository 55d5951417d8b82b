"""Nested data on pages: dicts as labelled lists, lists of dicts as tables, escaped."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from engine import SYSTEM, Engine, TaskInfo

AuthActions = Any  # the ``auth`` fixture of tests/web/conftest.py
FORMS_DIR = Path(__file__).resolve().parent / "data" / "forms"
SUMMARY_ENTRY = {
    "field": "summary",
    "x-label": {"zh": "奖励汇总", "en": "Payout summary"},
    "properties": {
        "grand_total": {"x-label": {"zh": "奖励合计", "en": "Grand total"}},
        "counties": {
            "items": {
                "properties": {
                    "county": {"x-label": {"zh": "县", "en": "County"}},
                    "area": {
                        "x-label": {"zh": "区域", "en": "Area"},
                        "x-enum-labels": {"rural": {"zh": "农村", "en": "Rural"}},
                    },
                }
            }
        },
    },
}
SUMMARY = {
    "grand_total": "548.85",
    "note": "<script>alert(1)</script>",
    "counties": [
        {"county": "平安县", "area": "rural", "station_reward_total": "211.88"},
        {"county": "长宁县", "area": "urban", "station_reward_total": "167.52"},
    ],
}


def review_task(web_engine: Engine, instance_id: int) -> TaskInfo:
    director = web_engine.get_actor("web.director")
    tasks = web_engine.inbox(director, scope="group")
    return next(t for t in tasks if t.instance_id == instance_id)


def set_data(web_engine: Engine, instance_id: int, **changes: object) -> None:
    admin = web_engine.get_actor("web.admin")
    web_engine.edit_instance_data(instance_id, changes, reason="test", actor=admin)


def deploy_review_reading_summary(web_engine: Engine) -> None:
    schema = json.loads((FORMS_DIR / "web_review.json").read_text(encoding="utf-8"))
    schema["x-readonly"].append(SUMMARY_ENTRY)
    source = json.dumps(schema, ensure_ascii=False).encode("utf-8")
    web_engine.deploy_form("web_review", source, actor=SYSTEM)


def table_after(page: str, marker: str) -> str:
    """The first <table> after ``marker`` in ``page``."""
    rest = page.split(marker, 1)[1]
    return rest[rest.index("<table") : rest.index("</table>")]


@pytest.fixture
def summary_page(
    auth: AuthActions, client: FlaskClient, web_engine: Engine, started: int
) -> Callable[[str], str]:
    """Open the review task, its form reading SUMMARY, as web.director in a language."""
    deploy_review_reading_summary(web_engine)
    set_data(web_engine, started, summary=SUMMARY)
    task = review_task(web_engine, started)
    auth.login("web.director")

    def open_in(lang: str) -> str:
        auth.post("/language", {"lang": lang})
        return client.get(f"/tasks/{task.id}").text

    return open_in


def test_readonly_dict_is_a_labelled_list_and_its_records_a_table(
    summary_page: Callable[[str], str],
) -> None:
    page = summary_page("zh")
    assert "{&#39;grand_total&#39;" not in page and "grand_total: " not in page
    assert '<dt>奖励汇总</dt><dd><dl class="facts nested">' in page
    assert '<dt title="grand_total">奖励合计</dt><dd>548.85</dd>' in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script>alert(1)</script>" not in page
    table = table_after(page, "奖励汇总")
    assert '<th scope="col" title="county">县</th>' in table
    assert '<th scope="col" class="num">station_reward_total</th>' in table
    assert "<td>农村</td>" in table and "<td>urban</td>" in table
    assert '<td class="num">211.88</td>' in table


def test_readonly_labels_follow_the_ui_language(
    summary_page: Callable[[str], str],
) -> None:
    page = summary_page("en")
    assert "<dt>Payout summary</dt>" in page and ">Grand total</dt>" in page
    assert "<td>Rural</td>" in page and ">County</th>" in page


def test_instance_data_shows_tables_and_option_labels_of_the_forms_used(
    auth: AuthActions, client: FlaskClient, web_engine: Engine, started: int
) -> None:
    task = review_task(web_engine, started)
    director = web_engine.get_actor("web.director")
    set_data(web_engine, started, summary=SUMMARY)
    web_engine.complete_task(
        task.id, {"review_decision": "return", "review_opinion": "补"}, actor=director
    )
    auth.login("web.applicant")
    page = client.get(f"/instances/{started}").text
    data = page.split("<summary>", 2)[-1]
    assert '<dt title="review_decision">审核结论</dt><dd>退回修改</dd>' in data
    assert '<dt>summary</dt><dd><dl class="facts nested">' in data
    assert '<td class="num">167.52</td>' in data
    assert "&lt;script&gt;" in data and "<script>alert" not in data


def test_a_three_hundred_row_table_shows_every_row(
    auth: AuthActions, client: FlaskClient, web_engine: Engine, started: int
) -> None:
    rows = [
        {"line": n, "station_id": f"S{n:03d}", "amount": f"{n}.50", "ok": n % 2 == 0}
        for n in range(300)
    ]
    set_data(web_engine, started, imported=rows)
    auth.login("web.applicant")
    response = client.get(f"/instances/{started}")
    assert response.status_code == 200
    table = table_after(response.text, "<dt>imported</dt>")
    assert len(re.findall(r"<tr>", table)) == 301  # the heading and 300 rows
    assert '<td class="num">299.50</td>' in table and "<td>S299</td>" in table
    assert "<td>是</td>" in table and "<td>否</td>" in table


def test_start_data_is_labelled_from_the_start_form_it_was_entered_on(
    auth: AuthActions, client: FlaskClient, web_engine: Engine, started: int
) -> None:
    # Only the start form knows "category": no task form repeats it.
    [entry] = [e for e in web_engine.history(started, actor=SYSTEM)
               if e.event_type == "instance_started"]
    assert entry.payload["form_key"] == "web_request"
    assert entry.payload["form_version"]
    auth.login("web.applicant")
    data = client.get(f"/instances/{started}").text.split("<summary>", 2)[-1]
    assert '<dt title="category">类别</dt><dd>甲</dd>' in data
    auth.post("/language", {"lang": "en"})
    data = client.get(f"/instances/{started}").text.split("<summary>", 2)[-1]
    assert '<dt title="category">Category</dt><dd>A</dd>' in data
