"""Jobs are claimed by one worker under a lease, retried, then become incidents."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
import time_machine
from deadlinekit import BACKENDS, BASE_CONFIG, free_port, with_config
from modelkit import process, user_task
from sqlalchemy import select
from test_timers import boundary_model

from engine import Engine, InstanceStatus, NotAuthorized, outbox, runtime
from engine.cli import main
from engine.jobs import backoff, claim, enqueue
from engine.models import Job
from engine.records import SYSTEM, WorkRef
from engine.timers import claim as claim_instance
from engine.worker import Worker

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
LEASE = timedelta(minutes=5)


def add_job(engine: Any, *, kind: str = "remind_task", run_at: datetime = T0) -> int:
    with engine.sessions.begin() as session:
        return enqueue(
            session,
            kind,
            run_at=run_at,
            now=T0,
            max_attempts=3,
            payload={"task_id": "00000000-0000-0000-0000-000000000000"},
        ).id


def test_claimed_job_comes_back_only_when_its_lease_runs_out(engine: Engine) -> None:
    job_id = add_job(engine)
    with engine.sessions.begin() as session:  # a worker claims it, then is killed
        first = claim(session, T0, lease=LEASE, worker="killed")
    assert first is not None and first.id == job_id and first.attempts == 1
    with engine.sessions.begin() as session:
        assert (
            claim(
                session, T0 + LEASE - timedelta(seconds=1), lease=LEASE, worker="other"
            )
            is None
        )
    with engine.sessions.begin() as session:
        again = claim(session, T0 + LEASE, lease=LEASE, worker="other")
    assert again is not None and again.id == job_id and again.attempts == 2


def test_backoff_doubles_each_attempt_up_to_its_cap() -> None:
    delays = [
        backoff(n, base=timedelta(seconds=30), cap=timedelta(minutes=5))
        for n in range(1, 7)
    ]
    assert [d.total_seconds() for d in delays] == [30, 60, 120, 240, 300, 300]
    assert backoff(10_000, base=timedelta(seconds=1), cap=timedelta(hours=1)) == (
        timedelta(hours=1)
    )


def test_failing_job_backs_off_then_becomes_an_incident_an_admin_can_retry(
    engine: Engine,
) -> None:
    config = replace(
        BASE_CONFIG,
        smtp_host="127.0.0.1",
        smtp_port=free_port(),
        job_max_attempts=2,
        smtp_timeout=2.0,
    )
    deadlines = with_config(engine, config)
    with deadlines.sessions.begin() as session:
        queued = outbox.queue(
            session,
            outbox.Channel.EMAIL,
            "a@example.test",
            "Hello",
            "Body",
            language="en",
            instance_id=None,
            now=T0,
            config=config,
        )
        from_outbox = session.scalar(
            select(Job.id).where(Job.key == f"outbox:{queued.id}")
        )
    with time_machine.travel(T0, tick=False):
        assert deadlines.run_due_jobs() == 1  # nobody listens on that port
        [job] = deadlines.list_jobs(actor=SYSTEM)
        assert (job.id, job.state, job.attempts) == (from_outbox, "pending", 1)
        assert job.run_at == T0 + config.backoff_base and "Error" in (
            job.last_error or ""
        )
        assert deadlines.run_due_jobs() == 0  # backing off
    with time_machine.travel(T0 + config.backoff_base, tick=False):
        assert deadlines.run_due_jobs() == 1
    [failed] = deadlines.list_jobs(actor=SYSTEM, failed_only=True)
    assert (failed.state, failed.attempts) == ("failed", 2)
    assert [
        e.payload["kind"]
        for e in deadlines.audit_log(actor=SYSTEM)
        if e.event_type == "job_failed"
    ] == ["send_outbox"]
    with pytest.raises(NotAuthorized):
        deadlines.retry_job(failed.id, actor=engine.get_actor("li.na"))
    again = deadlines.retry_job(failed.id, actor=SYSTEM)
    assert (again.state, again.attempts) == ("pending", 0)


def test_timer_failing_for_no_modelled_reason_is_retried_then_becomes_incident(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    deadlines = with_config(engine, replace(BASE_CONFIG, job_max_attempts=3))
    deadlines.deploy({"p.bpmn": boundary_model(True)}, actor=SYSTEM)
    with time_machine.travel(T0, tick=False):
        instance = deadlines.start_instance("p", {}, actor=SYSTEM)

    def broken(_workflow: object) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(runtime, "fire_timers", broken)
    due = T0 + timedelta(days=2, seconds=1)
    with time_machine.travel(due, tick=False):
        assert deadlines.fire_due_timers() == 0
        assert deadlines.fire_due_timers() == 0  # left to its retry job, not spinning
        [job] = retry_jobs(deadlines, instance.id)
        assert job.run_at == due + timedelta(seconds=30) and job.attempts == 1
    with time_machine.travel(due + timedelta(seconds=30), tick=False):
        deadlines.run_due_jobs()
        [job] = retry_jobs(deadlines, instance.id)
        assert (job.attempts, job.run_at) == (2, due + timedelta(seconds=90))
    with time_machine.travel(due + timedelta(seconds=90), tick=False):
        deadlines.run_due_jobs()
    failed = deadlines.get_instance(instance.id, actor=SYSTEM)
    assert (
        failed.status is InstanceStatus.ERROR
        and "disk on fire" in failed.incident.message
    )
    monkeypatch.undo()
    with time_machine.travel(due + timedelta(minutes=5), tick=False):
        deadlines.retry_instance(instance.id, actor=SYSTEM)
    assert [
        s.bpmn_id for s in deadlines.get_instance(instance.id, actor=SYSTEM).steps
    ] == ["escalate_to_manager"]
    assert retry_jobs(deadlines, instance.id) == []
    events = [e.event_type for e in deadlines.history(instance.id, actor=SYSTEM)]
    assert events.count("timer_failed") == 1 and "job_failed" in events


def retry_jobs(deadlines: Any, instance_id: int) -> list[Any]:
    return [
        j
        for j in deadlines.list_jobs(actor=SYSTEM, instance_id=instance_id)
        if j.kind == "fire_timers"
    ]


def timer_model() -> dict[str, bytes]:
    body = (
        '<bpmn:startEvent id="start"/><bpmn:intermediateCatchEvent id="wait_a_day">'
        '<bpmn:timerEventDefinition><bpmn:timeDuration>"P1D"</bpmn:timeDuration>'
        "</bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>"
        + user_task("follow_up")
        + '<bpmn:endEvent id="end"/>'
        '<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="wait_a_day"/>'
        '<bpmn:sequenceFlow id="f2" sourceRef="wait_a_day" targetRef="follow_up"/>'
        '<bpmn:sequenceFlow id="f3" sourceRef="follow_up" targetRef="end"/>'
    )
    return {"p.bpmn": process(body)}


def test_dispatching_worker_sends_each_due_ref_once_and_each_runs_once(
    engine: Engine,
) -> None:
    deadlines = with_config(engine)
    deadlines.deploy(timer_model(), actor=SYSTEM)
    with time_machine.travel(T0, tick=False):
        ids = [deadlines.start_instance("p", {}, actor=SYSTEM).id for _ in range(2)]
    sent: list[WorkRef] = []
    ticks = iter([0.0, 1.0, 100.0])
    loop = Worker(
        deadlines,
        dispatcher=sent.append,
        redispatch_after=60.0,
        clock=lambda: next(ticks),
    )
    with time_machine.travel(T0 + timedelta(days=1, seconds=1), tick=False):
        assert loop.run_once() == 2
        assert loop.run_once() == 0  # already handed out
        assert sorted(r.id for r in sent) == ids and {r.kind for r in sent} == {"timer"}
        assert [deadlines.execute(ref) for ref in sent] == [True, True]
        assert [deadlines.execute(ref) for ref in sent] == [False, False]
        assert loop.run_once() == 0  # nothing due any more
    fired = [
        e for e in deadlines.audit_log(actor=SYSTEM) if e.event_type == "timer_fired"
    ]
    assert sorted(e.instance_id for e in fired) == ids


def test_local_worker_round_fires_timers_and_cli_worker_once(
    engine: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    deadlines = with_config(engine)
    deadlines.deploy(timer_model(), actor=SYSTEM)
    with time_machine.travel(T0, tick=False):
        first = deadlines.start_instance("p", {}, actor=SYSTEM)
        second = deadlines.start_instance("p", {}, actor=SYSTEM)
    with time_machine.travel(T0 + timedelta(days=1, seconds=1), tick=False):
        assert deadlines.fire_instance_timers(first.id) == 1
        assert main(["worker", "--once"], engine=deadlines) == 0
        assert capsys.readouterr().out.startswith("1 piece(s) of work done")
        assert Worker(deadlines).run_once() == 0
    for instance in (first, second):
        steps = deadlines.get_instance(instance.id, actor=SYSTEM).steps
        assert [s.bpmn_id for s in steps] == ["follow_up"]


@pytest.mark.skipif("postgresql" not in BACKENDS, reason="PostgreSQL not selected")
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_two_workers_never_claim_the_same_job_or_instance_on_postgresql(
    engine: Engine,
) -> None:
    deadlines = with_config(engine)
    jobs = sorted([add_job(engine), add_job(engine)])
    deadlines.deploy(timer_model(), actor=SYSTEM)
    with time_machine.travel(T0, tick=False):
        ids = sorted(
            deadlines.start_instance("p", {}, actor=SYSTEM).id for _ in range(2)
        )
    later = T0 + timedelta(days=1, seconds=1)
    first, second = engine.sessions(), engine.sessions()
    try:  # two open transactions, as two workers would hold them
        a, b = (
            claim(s, later, lease=LEASE, worker=n)
            for s, n in ((first, "a"), (second, "b"))
        )
        assert a is not None and b is not None and sorted([a.id, b.id]) == jobs
        x, y = claim_instance(first, later), claim_instance(second, later)
        assert x is not None and y is not None and sorted([x.id, y.id]) == ids
    finally:
        first.close()
        second.close()
