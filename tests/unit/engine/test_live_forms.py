"""Forms deployed from the admin area live in the database (engine/liveforms.py)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from modelkit import chain, copied_forms, process, statements, user_task
from sqlalchemy import func, select

from engine import DefinitionInvalid, Engine, InvalidSubmission, liveforms
from engine.db import make_sessionmaker
from engine.definitions import clear_cache
from engine.models import AuditEvent, FormSource, LiveForm
from engine.records import SYSTEM

ITEM = {"item": "desk", "amount": "10.00"}
TWO_STEPS = process(user_task("fill_in") + user_task("check", form="manager_review")
                    + chain("fill_in", "check"))


@pytest.fixture
def forms_dir(tmp_path: Path) -> Path:
    """A copy of the test forms, to prove that nothing is ever written into it."""
    return copied_forms(tmp_path)


@pytest.fixture
def other_machine(engine: Engine, forms_dir: Path) -> Iterator[Callable[[], Engine]]:
    """Make an Engine on the same database as another process would: its own pool and
    caches, the same shipped forms."""
    made: list[Engine] = []

    def build() -> Engine:
        clear_cache()
        liveforms.clear_cache()
        url = engine.sessions.kw["bind"].url.render_as_string(hide_password=False)
        made.append(Engine(make_sessionmaker(url), forms_dir=forms_dir))
        return made[-1]

    yield build
    for built in made:
        built.close()


def with_reason(forms_dir: Path, key: str = "request_form") -> bytes:
    """The shipped form plus a field ``reason`` that the new version requires."""
    schema = json.loads((forms_dir / f"{key}.json").read_bytes())
    schema["properties"]["reason"] = {"type": "string", "minLength": 1}
    schema["required"].append("reason")
    return json.dumps(schema, ensure_ascii=False).encode("utf-8")


def folder(path: Path) -> dict[str, tuple[bytes, int]]:
    return {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in path.iterdir()}


def task_of(engine: Engine, instance_id: int) -> Any:
    tasks = engine.inbox(SYSTEM, scope="all")
    [task] = [t for t in tasks if t.instance_id == instance_id]
    return task


def test_a_form_deployed_on_one_engine_is_served_and_enforced_by_another(
    engine: Engine, forms_dir: Path, other_machine: Callable[[], Engine]
) -> None:
    engine.deploy({"p.bpmn": TWO_STEPS}, actor=SYSTEM)
    instance_id = engine.start_instance("p", {}, actor=SYSTEM).id
    other = other_machine()
    assert other.live_form("request_form").required == {"item", "amount"}
    source = with_reason(forms_dir)
    engine.deploy_form("request_form", source, actor=SYSTEM)
    sha = hashlib.sha256(source).hexdigest()
    assert other.live_form("request_form").version == sha
    task = task_of(other, instance_id)
    with pytest.raises(InvalidSubmission) as refused:
        other.complete_task(task.id, ITEM, actor=SYSTEM)
    assert set(refused.value.errors) == {"reason"}
    other.complete_task(task.id, {**ITEM, "reason": "broken chair"}, actor=SYSTEM)
    [done] = [e for e in other.history(instance_id, actor=SYSTEM)
              if e.event_type == "task_completed"]
    assert done.payload["form_version"] == sha


def test_a_completion_is_validated_against_the_database_version(
    engine: Engine, forms_dir: Path
) -> None:
    engine.deploy({"p.bpmn": TWO_STEPS}, actor=SYSTEM)
    instance_id = engine.start_instance("p", {}, actor=SYSTEM).id
    engine.deploy_form("request_form", with_reason(forms_dir), actor=SYSTEM)
    task = task_of(engine, instance_id)
    with pytest.raises(InvalidSubmission, match="reason"):
        engine.complete_task(task.id, ITEM, actor=SYSTEM)
    engine.complete_task(task.id, {**ITEM, "reason": "old one broke"}, actor=SYSTEM)
    assert task_of(engine, instance_id).bpmn_id == "check"


def test_a_process_may_name_a_form_that_exists_only_in_the_database(
    engine: Engine, forms_dir: Path, other_machine: Callable[[], Engine]
) -> None:
    body = process(user_task("note_down", form="expense_note") + chain("note_down"))
    with pytest.raises(DefinitionInvalid, match="expense_note"):
        engine.deploy({"p.bpmn": body}, actor=SYSTEM)
    engine.deploy_form("expense_note", with_reason(forms_dir), actor=SYSTEM)
    assert not (forms_dir / "expense_note.json").exists()
    other = other_machine()
    assert other.validate_files({"p.bpmn": body}) == []
    other.deploy({"p.bpmn": body}, actor=SYSTEM)
    instance_id = other.start_instance("p", {}, actor=SYSTEM).id
    task = task_of(engine, instance_id)
    engine.complete_task(task.id, {**ITEM, "reason": "taxi"}, actor=SYSTEM)
    assert engine.get_instance(instance_id, actor=SYSTEM).status.value == "completed"


def test_list_forms_shows_deployed_versions_and_forms_only_in_the_database(
    engine: Engine, forms_dir: Path, other_machine: Callable[[], Engine]
) -> None:
    source = with_reason(forms_dir)
    engine.deploy_form("request_form", source, actor=SYSTEM)
    engine.deploy_form("expense_note", source, actor=SYSTEM)
    listed = {f.key: f for f in other_machine().list_forms(actor=SYSTEM)}
    sha = hashlib.sha256(source).hexdigest()
    assert listed["request_form"].version == listed["expense_note"].version == sha
    shipped = (forms_dir / "manager_review.json").read_bytes()
    assert listed["manager_review"].version == hashlib.sha256(shipped).hexdigest()
    assert listed["expense_note"].problem is None
    assert engine.get_form_source("expense_note", actor=SYSTEM) == source


def test_deploying_and_using_forms_never_writes_the_forms_folder(
    engine: Engine, forms_dir: Path
) -> None:
    before = folder(forms_dir)
    engine.deploy_form("request_form", with_reason(forms_dir), actor=SYSTEM)
    engine.deploy_form("expense_note", with_reason(forms_dir), actor=SYSTEM)
    engine.deploy({"p.bpmn": TWO_STEPS}, actor=SYSTEM)
    instance_id = engine.start_instance("p", {}, actor=SYSTEM).id
    task = task_of(engine, instance_id)
    engine.complete_task(task.id, {**ITEM, "reason": "r"}, actor=SYSTEM)
    assert folder(forms_dir) == before


def test_a_broken_form_is_refused_and_changes_nothing(
    engine: Engine, forms_dir: Path
) -> None:
    good = with_reason(forms_dir)
    engine.deploy_form("request_form", good, actor=SYSTEM)
    engine.save_draft("form", "request_form", b'{"type": "object"}', actor=SYSTEM)

    def state() -> tuple[Any, ...]:
        with engine.sessions() as session:
            return (session.scalars(select(LiveForm.sha256)).all(),
                    session.scalar(select(func.count()).select_from(FormSource)),
                    session.scalar(select(func.count()).select_from(AuditEvent)))

    before = state()
    with pytest.raises(DefinitionInvalid, match="properties"):
        engine.deploy_form("request_form", b'{"type": "object"}', actor=SYSTEM)
    assert state() == before
    assert engine.find_draft("form", "request_form", actor=SYSTEM) is not None
    assert engine.get_form_source("request_form", actor=SYSTEM) == good


def test_a_unit_of_work_looks_a_live_form_up_once(
    engine: Engine, forms_dir: Path
) -> None:
    engine.deploy_form("request_form", with_reason(forms_dir), actor=SYSTEM)
    with engine.sessions.begin() as session:
        session.connection()  # BEGIN first: not part of what is counted
        with statements(engine) as seen:
            first = liveforms.load(session, "request_form", forms_dir=forms_dir)
            again = liveforms.load(session, "request_form", forms_dir=forms_dir)
            shipped = liveforms.load(session, "manager_review", forms_dir=forms_dir)
            liveforms.load(session, "manager_review", forms_dir=forms_dir)
    assert first is again and "reason" in first.required
    assert shipped.version == hashlib.sha256(
        (forms_dir / "manager_review.json").read_bytes()).hexdigest()
    assert len(seen) == 2  # one SELECT per key, then remembered


def test_a_completion_on_a_database_form_sends_no_extra_statement(
    engine: Engine, forms_dir: Path
) -> None:
    engine.deploy({"p.bpmn": TWO_STEPS}, actor=SYSTEM)

    def complete_first_step(data: dict[str, str]) -> list[str]:
        instance_id = engine.start_instance("p", {}, actor=SYSTEM).id
        task = task_of(engine, instance_id)
        with statements(engine) as seen:
            engine.complete_task(task.id, data, actor=SYSTEM)
        return seen

    complete_first_step(ITEM)  # warm: the first use of a version may store its bytes
    from_file = complete_first_step(ITEM)
    engine.deploy_form("request_form", with_reason(forms_dir), actor=SYSTEM)
    from_database = complete_first_step({**ITEM, "reason": "r"})
    assert from_database == from_file and len(from_database) <= 10


def test_a_form_version_stays_readable_after_a_new_deploy(
    engine: Engine, forms_dir: Path
) -> None:
    first = with_reason(forms_dir)
    engine.deploy_form("request_form", first, actor=SYSTEM)
    engine.deploy_form("request_form", (forms_dir / "request_form.json").read_bytes(),
                       actor=SYSTEM)
    old = engine.form_version("request_form", hashlib.sha256(first).hexdigest())
    assert "reason" in old.required and "reason" not in engine.live_form(
        "request_form").required
    # A version recorded before forms were kept has no bytes: the live form stands in.
    assert engine.form_version("request_form", "0" * 64) == engine.live_form(
        "request_form")
