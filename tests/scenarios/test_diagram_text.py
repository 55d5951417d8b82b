"""The diagram people read: lanes by group title, element names in their language."""

from __future__ import annotations

from engine import SYSTEM, Engine, demo


def _started(engine: Engine) -> int:
    staff = engine.get_actor(demo.user_for("account_staff"))
    request = {"customer_name": "华东能源集团", "customer_contact": "陈主任",
               "support_content": "研讨会", "planned_activity_type": "other",
               "customer_deep_needs": "扩容", "estimated_budget": "100.00",
               "application_date": "2026-10-12", "applicant_name": "赵敏"}
    return engine.start_instance("service_support", request, actor=staff).id


def test_lanes_show_group_titles_and_english_shows_english_names(deploy_workflows: Engine) -> None:
    engine = deploy_workflows
    instance_id = _started(engine)
    source = engine.instance_diagram(instance_id, actor=SYSTEM).bpmn_xml
    zh = engine.instance_diagram(instance_id, actor=SYSTEM, lang="zh").bpmn_xml
    en = engine.instance_diagram(instance_id, actor=SYSTEM, lang="en").bpmn_xml
    assert 'name="account_staff"' in source and 'name="主管审核申请"' in source
    staff = {g.name: g for g in engine.list_groups()}["account_staff"]
    assert f'name="{staff.title}"' in zh and 'name="account_staff"' not in zh
    assert 'name="主管审核申请"' in zh
    assert f'name="{staff.title_en}"' in en and 'name="Review request (supervisor)"' in en
    assert 'name="主管审核申请"' not in en


def test_a_group_renamed_later_is_shown_by_its_new_title(deploy_workflows: Engine) -> None:
    engine = deploy_workflows
    instance_id = _started(engine)
    engine.instance_diagram(instance_id, actor=SYSTEM, lang="zh")  # cached once
    engine.ensure_group("account_staff", title="客户经理组", title_en="Account team",
                        actor=SYSTEM)
    zh = engine.instance_diagram(instance_id, actor=SYSTEM, lang="zh").bpmn_xml
    assert 'name="客户经理组"' in zh
