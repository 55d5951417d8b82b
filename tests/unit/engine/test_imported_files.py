"""Files made by other modelers: read in their own encoding, edited without losing a
character, and refused with a reason that says what to change."""

from __future__ import annotations

from typing import Any

import pytest
from modelkit import DATA, chain, process, user_task

from engine import DefinitionInvalid, Engine, Role, xmlsafe
from engine.errors import DraftExists, TextDamaged
from engine.records import SYSTEM

MODELERS = DATA / "modelers"
NOTICES = ["gbk_notice", "gb2312_notice", "utf16_notice"]
TASK_NAME = "确认已阅读通知（县局）"
CAMUNDA = 'xmlns:camunda="http://camunda.org/schema/1.0/bpmn"'
ZEEBE = 'xmlns:zeebe="http://camunda.org/schema/zeebe/1.0"'


def notice(process_id: str) -> bytes:
    return (MODELERS / f"{process_id}.bpmn").read_bytes()


def refusal(engine: Engine, data: bytes, name: str = "p.bpmn") -> DefinitionInvalid:
    with pytest.raises(DefinitionInvalid) as caught:
        engine.deploy({name: data}, actor=SYSTEM)
    return caught.value


@pytest.mark.parametrize("process_id", NOTICES)
def test_uploaded_draft_reads_as_text_in_its_declared_encoding(
        engine: Any, process_id: str) -> None:
    draft = engine.upload_draft(f"{process_id}.bpmn", notice(process_id), actor=SYSTEM)
    assert draft.source == notice(process_id)  # the upload is kept byte for byte
    assert draft.text.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<bpmn:')
    assert f'name="{TASK_NAME}"' in draft.text and "\ufffd" not in draft.text


@pytest.mark.parametrize("process_id", NOTICES)
def test_edit_saved_as_utf8_and_deployed_keeps_the_chinese_names(
        engine: Any, process_id: str) -> None:
    engine.deploy({f"{process_id}.bpmn": notice(process_id)}, actor=SYSTEM)
    live = engine.get_definition_source(process_id, actor=SYSTEM)
    edited = xmlsafe.text("x.bpmn", live).replace('name="发出通知"', 'name="发出新通知"')
    engine.save_draft("bpmn", process_id, xmlsafe.to_utf8(edited), actor=SYSTEM)
    [info] = engine.deploy_draft("bpmn", process_id, actor=SYSTEM)
    source = engine.get_definition_source(process_id, actor=SYSTEM).decode("utf-8")
    assert info.version == 2 and info.name == "县局通知确认"
    assert f'name="{TASK_NAME}"' in source and 'name="发出新通知"' in source
    diff = engine.diff_definition("bpmn", process_id, 1, 2, actor=SYSTEM).unified
    changed = [line for line in diff.splitlines() if line[:1] in "+-"
               and not line.startswith(("+++", "---"))]
    assert changed == ['-    <bpmn:startEvent id="start_notice" name="发出通知">',
                       '+    <bpmn:startEvent id="start_notice" name="发出新通知">']


def test_draft_with_replacement_characters_the_live_version_lacks_is_refused(
        engine: Any) -> None:
    engine.deploy({"gbk_notice.bpmn": notice("gbk_notice")}, actor=SYSTEM)
    garbled = notice("gbk_notice").decode("utf-8", errors="replace")  # the old editor
    with pytest.raises(TextDamaged) as caught:
        engine.save_draft("bpmn", "gbk_notice", xmlsafe.to_utf8(garbled), actor=SYSTEM)
    assert caught.value.count == garbled.count("\ufffd") and caught.value.line == 3
    assert "replacement character(s) (U+FFFD" in caught.value.message
    assert engine.find_draft("bpmn", "gbk_notice", actor=SYSTEM) is None


def test_deploy_with_replacement_characters_the_live_version_lacks_is_refused(
        engine: Any) -> None:
    engine.deploy({"gbk_notice.bpmn": notice("gbk_notice")}, actor=SYSTEM)
    garbled = xmlsafe.to_utf8(notice("gbk_notice").decode("utf-8", errors="replace"))
    error = refusal(engine, garbled, "gbk_notice.bpmn")
    assert (error.line, error.bpmn_id) == (3, "gbk_notice")
    assert "that version 1 does not have" in error.message
    [problem] = engine.check_definition({"gbk_notice.bpmn": garbled}, actor=SYSTEM)
    assert "U+FFFD" in problem.message


@pytest.mark.parametrize("doctype", [
    # an entity bomb: libxml would stop with "see xmlCtxtSetMaxAmplification"
    '<!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(f'<!ENTITY lol{i} "{("&lol" + str(i - 1 or "") + ";") * 10}">'
              for i in range(1, 10)) + "]>",
    '<!DOCTYPE definitions [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>',
    '<!DOCTYPE definitions SYSTEM "http://127.0.0.1:5102/evil.dtd">',
])
def test_doctype_entity_bomb_and_external_entity_get_the_same_clear_refusal(
        engine: Engine, doctype: str) -> None:
    body = process(chain()).decode().replace(
        "<bpmn:definitions", doctype + "\n<bpmn:definitions", 1)
    body = body.replace('<bpmn:process id="p"', '<bpmn:process id="p" name="&lol9;"'
                        if "lol9" in doctype else '<bpmn:process id="p"')
    error = refusal(engine, body.encode())
    assert error.line == 1 and error.reason == (
        "DOCTYPE declarations are not allowed (entities and DTDs are refused)")


@pytest.mark.parametrize("attributes, extensions, named, advice", [
    (f'{CAMUNDA} camunda:assignee="me" camunda:candidateGroups="supervisor"', "",
     "camunda:assignee, camunda:candidateGroups", "Signoff assigns by lane"),
    (f'{CAMUNDA} camunda:formKey="embedded:app:forms/leave.html"', "",
     "camunda:formKey", "spiffworkflow:property formJsonSchemaFilename"),
    (ZEEBE, '<zeebe:assignmentDefinition assignee="=manager"/>',
     "zeebe:assignmentDefinition", "Signoff assigns by lane"),
    (ZEEBE, '<zeebe:formDefinition formKey="camunda-forms:bpmn:form_1"/>',
     "zeebe:formDefinition", "spiffworkflow:property formJsonSchemaFilename"),
])
def test_user_task_with_another_engines_assignee_or_form_is_refused(
        engine: Engine, attributes: str, extensions: str, named: str,
        advice: str) -> None:
    task = (f'<bpmn:userTask id="approve" {attributes}><bpmn:extensionElements>'
            f"{extensions}</bpmn:extensionElements></bpmn:userTask>")
    error = refusal(engine, process(task + chain("approve")))
    assert (error.bpmn_id, error.line) == ("approve", 4)
    assert f"bpmn:userTask sets {named}, which Signoff does not read" in error.message
    assert advice in error.message


def test_vendor_attributes_that_change_nothing_here_are_accepted(
        engine: Engine) -> None:
    body = process(user_task("fill_in") + chain("fill_in")).replace(
        b'<bpmn:process id="p"',
        f'<bpmn:process {CAMUNDA} camunda:historyTimeToLive="180" id="p"'.encode())
    [info] = engine.deploy({"p.bpmn": body}, actor=SYSTEM)
    assert info.def_id == "p"


def test_file_without_executable_process_names_the_processes_found(
        engine: Engine) -> None:
    exported = process(chain(), process_id="Id_proc_01").replace(
        b' isExecutable="true"', b"")  # Bizagi writes no isExecutable at all
    error = refusal(engine, exported)
    assert error.reason == (
        "no executable process (isExecutable=\"true\") in file; found 'Id_proc_01' "
        "(no isExecutable): mark the process to run with isExecutable=\"true\"")
    assert (error.bpmn_id, error.line) == ("Id_proc_01", 3)


def test_upload_refuses_to_replace_another_admins_draft_unless_asked(
        engine: Any) -> None:
    engine.add_user("second.admin", password="second-admin-pw", role=Role.ADMIN,
                    actor=SYSTEM)
    other = engine.get_actor("second.admin")
    first = process(chain(), process_id="complaint")
    saved = engine.save_draft("bpmn", "complaint", first, actor=SYSTEM)
    upload = process(user_task("fill_in") + chain("fill_in"), process_id="complaint")
    with pytest.raises(DraftExists) as caught:
        engine.upload_draft("complaint.bpmn", upload, actor=other)
    assert (caught.value.saved_by, caught.value.saved_at) == ("system", saved.saved_at)
    assert caught.value.message.startswith(
        "system saved a draft of bpmn 'complaint' at ")
    assert engine.find_draft("bpmn", "complaint", actor=other).source == first
    engine.upload_draft("complaint.bpmn", upload, actor=other, replace=True)
    replaced = engine.find_draft("bpmn", "complaint", actor=other)
    assert (replaced.source, replaced.saved_by) == (upload, "second.admin")


def test_upload_of_the_same_content_as_the_draft_is_not_a_conflict(engine: Any) -> None:
    data = process(chain(), process_id="complaint")
    saved = engine.save_draft("bpmn", "complaint", data, actor=SYSTEM)
    draft = engine.upload_draft("complaint.bpmn", data, actor=SYSTEM)
    assert (draft.source, draft.row_version) == (data, saved.row_version + 1)
