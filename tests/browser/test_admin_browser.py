"""The admin area in chromium: a decision-table change, a refused broken edit, the diff.

These tests run their own server on their own database, because they deploy new
versions of the shipped definitions that the other browser tests must not see.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from engine import SYSTEM, Engine, EngineConfig, demo
from web import create_app
from web.i18n import compile_catalogs
from web.server import Server

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
MODELERS = ROOT / "tests" / "data" / "modelers"
ARTIFACTS = ROOT / "test-artifacts"
DMN_ID = "visit_gm_threshold"
FLOW = "flow_decide_visit_gm_approval_to_review_visit_by_director"
# dmn-js ships Inferno's development notice in its production bundle; chromium's own
# contenteditable editing adds style attributes that the CSP blocks (harmlessly); and
# bpmn-js logs each element of a broken file it cannot draw (the editor says so too).
TOLERATED = (
    "development build of Inferno",
    "Applying inline style violates",
    "failed to import <bpmn:",
)
APPLICATION = {
    "customer_name": "华东机械有限公司",
    "contact_person": "王经理",
    "visit_purpose": "拜访",
    "visit_date": "2026-12-10",
    "visit_participants": "张伟",
    "gift_budget": "1000.00",
    "travel_budget": "1000.00",
    "meal_budget": "1000.00",
    "other_budget": "1000.00",
    "application_date": "2026-11-10",
}


class AdminServer:
    """The app over a fresh SQLite database with workflows/ and the demo users."""

    def __init__(self, var: Path) -> None:
        config = EngineConfig.from_mapping(
            {
                "SIGNOFF_DATABASE_URL": f"sqlite:///{var / 'signoff.db'}",
                "SIGNOFF_VAR_DIR": str(var),
            }
        )
        self.engine = Engine.from_config(config)
        self.engine.upgrade_schema()
        demo.ensure_users(self.engine)
        self.engine.deploy_directory(ROOT / "workflows", actor=SYSTEM, comment="tests")
        app = create_app(
            {"SECRET_KEY": "admin-browser-key", "WORKER_INTERVAL": 60.0},
            engine=self.engine,
        )
        self.server = Server(app, host="127.0.0.1", port=0, threads=4)
        self.url = self.server.url
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.stop()
        self.thread.join(10)


@pytest.fixture(scope="module")
def admin_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AdminServer]:
    compile_catalogs()
    server = AdminServer(tmp_path_factory.mktemp("admin-browser"))
    yield server
    server.stop()


@pytest.fixture
def admin_page(browser: Browser, admin_server: AdminServer) -> Iterator[Page]:
    """A desktop-sized tab signed in as the demo admin; fails on console errors."""
    context = browser.new_context(
        viewport={"width": 1400, "height": 1000}, locale="zh-CN"
    )
    page = context.new_page()
    problems: list[str] = []
    page.on(
        "console",
        lambda m: (
            problems.append(m.text)
            if m.type == "error" and not any(t in m.text for t in TOLERATED)
            else None
        ),
    )
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.goto(f"{admin_server.url}/login")
    page.get_by_label("用户名").fill("admin")
    page.get_by_label("密码").fill(demo.DEMO_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{admin_server.url}/")
    yield page
    context.close()
    assert problems == []


def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"admin-{name}.png"), full_page=True)


def start_visit(engine: Engine) -> int:
    return engine.start_instance(
        "visit_approval", APPLICATION, actor=engine.get_actor("zhang.wei")
    ).id


def gm_needed(engine: Engine, instance_id: int) -> Any:
    return engine.get_instance(instance_id, actor=SYSTEM).data["gm_approval_required"]


def task_of(engine: Engine, user: str, instance_id: int) -> Any:
    who = engine.get_actor(user)
    return next(t for t in engine.inbox(who) if t.instance_id == instance_id)


def set_threshold(page: Page, amount: str) -> None:
    """Type a new budget threshold into the four rules of the decision table."""
    for number in (1, 2, 3, 4):
        page.locator(f'[data-element-id="rule_{DMN_ID}_{number}_in_2"]').click()
        page.keyboard.press("Control+A")
        page.keyboard.type(f'{"<=" if number % 2 else ">"} Decimal("{amount}")')


def test_dmn_threshold_change_applies_to_new_instances_only(
    admin_page: Page, admin_server: AdminServer
) -> None:
    engine = admin_server.engine
    before = start_visit(engine)  # 4,000.00 yuan: no GM approval under the 5,000 rule
    assert gm_needed(engine, before) is False
    page = admin_page
    page.goto(f"{admin_server.url}/admin/edit/dmn/{DMN_ID}")
    expect(page.locator("#canvas")).to_have_attribute("data-state", "rendered")
    set_threshold(page, "3000.00")
    page.locator("#deploy-comment").fill("GM approves budgets above 3,000")
    page.locator("#check").click()
    expect(page.locator("#editor-status")).to_have_class(re.compile(r"\bok\b"))
    shot(page, "dmn-threshold-edited")
    page.locator("#deploy").click()
    page.wait_for_url(f"{admin_server.url}/admin/")
    expect(page.locator(".flash")).to_contain_text(f"Deployed {DMN_ID} version 2")

    after = start_visit(engine)
    assert gm_needed(engine, after) is True
    # The old instance meets the decision again after a return and keeps its rule.
    engine.complete_task(
        task_of(engine, "liu.yang", before).id,
        {"director_decision": "return", "director_opinion": "补充说明"},
        actor=engine.get_actor("liu.yang"),
    )
    engine.complete_task(
        task_of(engine, "zhang.wei", before).id,
        dict(APPLICATION, revision_action="resubmit", revision_note="已补充"),
        actor=engine.get_actor("zhang.wei"),
    )
    resubmitted = engine.get_instance(before, actor=SYSTEM)
    assert resubmitted.version == 1 and resubmitted.data["application_round"] == 2
    assert gm_needed(engine, before) is False
    assert engine.get_instance(after, actor=SYSTEM).version == 2


def test_flow_to_nowhere_is_refused_with_the_element_highlighted(
    admin_page: Page, admin_server: AdminServer
) -> None:
    page = admin_page
    page.goto(f"{admin_server.url}/admin/edit/bpmn/visit_approval")
    expect(page.locator("#canvas")).to_have_attribute("data-state", "rendered")
    page.locator("#tab-xml").click()
    xml = page.locator("#xml-source").input_value()
    broken = xml.replace(
        'sourceRef="decide_visit_gm_approval" ' 'targetRef="review_visit_by_director"',
        'sourceRef="decide_visit_gm_approval" targetRef="nowhere"',
    )
    assert broken != xml
    page.locator("#xml-source").fill(broken)
    page.locator("#tab-diagram").click()
    page.locator("#check").click()
    expect(page.locator("#problems")).to_be_visible()
    expect(page.locator("#problem-list")).to_contain_text(FLOW)
    expect(page.locator("#problem-list")).to_contain_text("nowhere")
    marked = page.locator(
        'g.djs-element.has-problem[data-element-id="decide_visit_gm_approval"]'
    )
    expect(marked).to_have_count(1)
    expect(page.locator("#deploy")).to_be_disabled()
    expect(page.locator("#editor-status")).to_have_text("1 problem to fix.")
    shot(page, "flow-to-nowhere")

    page.locator("#save-draft").click()
    expect(page.locator("#editor-status")).to_have_class(re.compile(r"\bok\b"))
    data = page.locator("#editor-data").text_content() or ""
    token = re.search(r'"csrf": "([^"]+)"', data)
    assert token is not None
    refused = page.request.post(
        f"{admin_server.url}/admin/edit/bpmn/visit_approval/deploy",
        form={"csrf_token": token.group(1), "comment": "should not deploy"},
    )
    assert refused.status == 422 and FLOW in refused.text()
    versions = admin_server.engine.list_process_versions(actor=SYSTEM)
    assert all(v.comment != "should not deploy" for v in versions)
    page.reload()  # the saved draft opens with its problem marked
    expect(page.locator("#canvas")).to_have_attribute("data-state", "rendered")
    expect(page.locator("#problem-list")).to_contain_text(FLOW)
    expect(marked).to_have_count(1)
    page.get_by_role("button", name="Discard draft").click()
    page.wait_for_url(f"{admin_server.url}/admin/")


def test_gbk_file_keeps_its_chinese_names_through_the_editor_and_deploy(
    admin_page: Page, admin_server: AdminServer
) -> None:
    page = admin_page
    page.goto(f"{admin_server.url}/admin/upload")
    page.set_input_files("#upload-file", str(MODELERS / "gbk_notice.bpmn"))
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(f"{admin_server.url}/admin/edit/bpmn/gbk_notice")
    expect(page.locator("#canvas")).to_have_attribute("data-state", "rendered")
    expect(page.locator("#canvas")).to_contain_text("确认已阅读通知（县局）")
    page.locator("#save-draft").click()
    expect(page.locator("#editor-status")).to_have_class(re.compile(r"\bok\b"))
    page.locator("#check").click()
    expect(page.locator("#deploy")).to_be_enabled()
    page.locator("#deploy").click()
    page.wait_for_url(f"{admin_server.url}/admin/")
    source = admin_server.engine.get_definition_source("gbk_notice", actor=SYSTEM)
    text = source.decode("utf-8")
    assert 'name="确认已阅读通知（县局）"' in text and 'name="县局通知确认"' in text


def test_diff_page_shows_the_threshold_change(
    admin_page: Page, admin_server: AdminServer
) -> None:
    engine = admin_server.engine
    live = engine.get_definition_source(DMN_ID, kind="dmn", actor=SYSTEM)
    old = re.search(rb'Decimal\((&quot;|")([0-9.]+)(&quot;|")\)', live)
    assert old is not None
    changed = live.replace(old.group(0), b"Decimal(&quot;2500.00&quot;)")
    engine.deploy({f"{DMN_ID}.dmn": changed}, actor=SYSTEM, comment="threshold 2,500")
    page = admin_page
    page.goto(f"{admin_server.url}/admin/processes/visit_approval")
    page.locator("#versions tbody tr").first.get_by_role("link").last.click()
    expect(page).to_have_url(re.compile(r"/admin/processes/visit_approval/diff\?"))
    section = page.locator(f"#diff-dmn-{DMN_ID}")
    expect(section).to_contain_text("rule_visit_gm_threshold_1")
    row = section.locator("table.fields tr", has_text="Budget total")
    expect(row.first).to_contain_text(f'<= Decimal("{old.group(2).decode()}")')
    expect(row.first).to_contain_text('<= Decimal("2500.00")')
    expect(page.locator("#diff-bpmn-visit_approval")).to_have_count(0)
    page.get_by_text("Raw XML changes").click()
    expect(
        section.locator("pre.unified .add", has_text="2500.00").first
    ).to_be_visible()
    shot(page, "diff")


def test_properties_panel_edit_saves_and_keeps_every_extension(
    admin_page: Page, admin_server: AdminServer
) -> None:
    page = admin_page
    page.goto(f"{admin_server.url}/admin/edit/bpmn/visit_approval")
    expect(page.locator("#canvas")).to_have_attribute("data-state", "rendered")
    page.locator('g.djs-element[data-element-id="review_visit_by_director"]').click()
    panel = page.locator("#properties")
    expect(panel).to_contain_text("UserTask")
    expect(panel.get_by_label("Form")).to_have_value("visit_director_review")
    panel.get_by_label("Name (English)").fill("Director reviews the visit")
    panel.get_by_label("Due in (ISO duration, e.g. P3D)").fill("P1D")
    page.locator("#save-draft").click()
    expect(page.locator("#editor-status")).to_have_class(re.compile(r"\bok\b"))
    admin = admin_server.engine
    draft = admin.find_draft("bpmn", "visit_approval", actor=SYSTEM)
    assert draft is not None
    original = (ROOT / "workflows" / "visit_approval.bpmn").read_text()
    for tag in (
        "properties",
        "calledDecisionId",
        "preScript",
        "postScript",
        "instructionsForEndUser",
    ):
        assert draft.text.count(f"<spiffworkflow:{tag}>") == original.count(
            f"<spiffworkflow:{tag}>"
        ), tag
    assert 'name="name_en" value="Director reviews the visit"' in draft.text
    assert 'name="dueIn" value="P1D"' in draft.text
    assert admin.check_draft("bpmn", "visit_approval", actor=SYSTEM) == []
    admin.discard_draft("bpmn", "visit_approval", actor=SYSTEM)
