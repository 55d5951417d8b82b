"""Engine step cost against raw SpiffWorkflow, as ratios, with targets and PASS/FAIL.

Raw SpiffWorkflow runs in this same process on the same definitions, with the engine's
parser and sandboxed script engine; ``raw step`` loads the whole serialized workflow
(minus spec: the engine's first storage format), completes one task and saves it again.
The engine side uses the public Engine API on a fresh SQLite (WAL) file and a fresh
PostgreSQL database with production settings (``engine.db.make_sessionmaker``). Times
are medians; raw figures are sampled before and after the engine's to share the noise.
Usage: ``python bench/engine_step.py [--databases sqlite,postgresql] [--pg-url URL]
[--history 5000]``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any
from uuid import UUID

from sqlalchemy import create_engine, event, func, select, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from SpiffWorkflow.bpmn import BpmnWorkflow  # noqa: E402
from SpiffWorkflow.bpmn.serializer.default.workflow import (  # noqa: E402
    BpmnWorkflowConverter,
)
from SpiffWorkflow.util.task import TaskState  # noqa: E402

from engine import Engine, cache, demo, history, instances, runtime  # noqa: E402
from engine import store, timers, worklist  # noqa: E402
from engine.db import make_sessionmaker  # noqa: E402
from engine.definitions import build_spec  # noqa: E402
from engine.models import ArchivedTask, HumanTask, ProcessInstance  # noqa: E402
from engine.records import SYSTEM, InstanceStatus  # noqa: E402
from engine.scripting import make_script_engine  # noqa: E402

DATA = ROOT / "tests" / "data"
PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
BENCH_DB = "signoff_step_bench"
SUBMIT = {"item": "laptop", "amount": "1200.50"}
RETURN = {"supervisor_decision": "return", "supervisor_opinion": "please rework"}
WHOLE = (SUBMIT, {"supervisor_decision": "approve"}, {"manager_decision": "approve"})
LOOP = [("bpmn", "rework_loop", "rework_loop.bpmn",
         (DATA / "rework_loop.bpmn").read_bytes())]
TWO = [("bpmn", "two_approver", "two_approver.bpmn",
        (DATA / "two_approver.bpmn").read_bytes())]


class _NaiveConverter(store._StateConverter):  # type: ignore[misc]
    """The engine's first storage format: the whole task tree in one blob, no specs."""

    def to_dict(self, workflow: Any) -> dict[str, Any]:
        dct: dict[str, Any] = super(BpmnWorkflowConverter, self).to_dict(workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct


NAIVE = store.make_serializer(_NaiveConverter)


def samples(work: Callable[[], Any], runs: int) -> list[float]:
    result = []
    for _ in range(runs):
        began = time.perf_counter()
        work()
        result.append(time.perf_counter() - began)
    return result


class Raw:
    """The same definitions run by SpiffWorkflow alone, saved and loaded naively."""

    def __init__(self) -> None:
        self.scripts = make_script_engine()
        self.loop = build_spec("rework_loop", LOOP)
        self.whole = build_spec("two_approver", TWO)

    def start(self, specs: tuple[Any, Any], data: dict[str, Any]) -> BpmnWorkflow:
        workflow = BpmnWorkflow(specs[0], specs[1], script_engine=self.scripts)
        for task in workflow.get_tasks(state=TaskState.READY):
            task.data.update(data)
        workflow.do_engine_steps()
        return workflow

    def step(self, workflow: BpmnWorkflow, data: dict[str, Any]) -> None:
        task = workflow.get_tasks(state=TaskState.READY, manual=True)[0]
        task.data.update(data)
        task.run()
        workflow.do_engine_steps()

    def dump(self, workflow: BpmnWorkflow) -> str:
        NAIVE.registry._encoder_mode = True
        try:
            return json.dumps(NAIVE.to_dict(workflow), separators=(",", ":"),
                              cls=NAIVE._encoder_cls)
        finally:
            NAIVE.registry._encoder_mode = False

    def load(self, state: str, specs: tuple[Any, Any]) -> BpmnWorkflow:
        workflow = NAIVE.from_dict(json.loads(state), spec=specs[0],
                                   subprocess_specs=specs[1])
        workflow.script_engine = self.scripts
        return workflow

    def loop_at(self, rounds: int) -> BpmnWorkflow:
        workflow = self.start(self.loop, {"keep_opinions": False})
        for _ in range(rounds):
            self.step(workflow, SUBMIT)
            self.step(workflow, RETURN)
        return workflow

    def whole_instance(self) -> None:
        workflow = self.start(self.whole, {})
        for data in WHOLE:
            self.step(workflow, data)
        assert workflow.is_completed()


def completed(workflow: BpmnWorkflow) -> int:
    return sum(1 for t in workflow.tasks.values() if t.state == TaskState.COMPLETED)


class Counter:
    """Statements, commits and bytes written (INSERT/UPDATE parameters) on one DB.

    It listens only while ``counting``: its listeners cost about 5% of a completion, so
    timed runs go without them and the counts come from runs of their own.
    """

    def __init__(self, bind: Any) -> None:
        self.bind = bind
        self.statements: list[str] = []
        self.commits = 0
        self.written = 0

    def _statement(self, conn: Any, cursor: Any, statement: str, parameters: Any,
                   context: Any, executemany: bool) -> None:
        self.statements.append(" ".join(statement.split()[:3]))
        if statement.lstrip()[:6].upper() in ("INSERT", "UPDATE"):
            self.written += _text_bytes(parameters)

    def _commit(self, conn: Any) -> None:
        self.commits += 1

    @contextmanager
    def counting(self) -> Iterator[None]:
        event.listen(self.bind, "before_cursor_execute", self._statement)
        event.listen(self.bind, "commit", self._commit)
        try:
            yield
        finally:
            event.remove(self.bind, "before_cursor_execute", self._statement)
            event.remove(self.bind, "commit", self._commit)

    @contextmanager
    def watch(self) -> Iterator[dict[str, Any]]:
        self.statements, self.commits, self.written = [], 0, 0
        result: dict[str, Any] = {}
        began = time.perf_counter()
        yield result
        result.update(seconds=time.perf_counter() - began, commits=self.commits,
                      statements=list(self.statements), written=self.written)


def _text_bytes(value: Any) -> int:
    """Bytes of the text and binary values in a statement's parameters (any nesting)."""
    if isinstance(value, str):
        return len(value.encode("utf-8"))
    if isinstance(value, bytes):
        return len(value)
    if isinstance(value, dict):
        value = value.values()
    if isinstance(value, (list, tuple, type({}.values()))):
        return sum(_text_bytes(v) for v in value)
    return 0


class Bench:
    def __init__(self, url: str) -> None:
        self.engine = Engine(make_sessionmaker(url), forms_dir=DATA / "forms")
        self.engine.upgrade_schema()
        demo.ensure_users(self.engine)
        self.engine.deploy({"rework_loop.bpmn": LOOP[0][3],
                            "two_approver.bpmn": TWO[0][3]}, actor=SYSTEM)
        self.bind = self.engine.sessions.kw["bind"]
        self.counter = Counter(self.bind)
        self.staff = self.engine.get_actor("zhao.min")
        self.supervisor = self.engine.get_actor("li.na")
        self.manager = self.engine.get_actor("wang.fang")
        self.scripts = make_script_engine()
        with self.engine.sessions.begin() as session:
            session.execute(text(
                "CREATE TABLE bench_probe (id INTEGER PRIMARY KEY, n INTEGER)"))
            session.execute(text("INSERT INTO bench_probe VALUES (1, 0)"))

    def task_of(self, instance_id: int) -> UUID:
        with self.engine.sessions() as session:
            found = session.scalar(select(HumanTask.id).where(
                HumanTask.instance_id == instance_id, HumanTask.state == "ready"))
        assert found is not None, f"instance {instance_id} waits for nobody"
        return UUID(found)

    def complete(self, instance_id: int, data: dict[str, Any], who: Any, *,
                 counted: bool = False) -> dict[str, Any]:
        """Complete the instance's ready task, timed; with its SQL counted if asked."""
        task_id = self.task_of(instance_id)
        with ExitStack() as stack:
            if counted:
                stack.enter_context(self.counter.counting())
            with self.counter.watch() as step:
                step["info"] = self.engine.complete_task(task_id, data, actor=who)
        return step

    def loop(self, *, keep_opinions: bool = False) -> int:
        data = {"keep_opinions": keep_opinions}
        return self.engine.start_instance("rework_loop", data, actor=self.staff).id

    def rounds(self, instance_id: int, count: int, opinion: str = "please rework"
               ) -> None:
        for number in range(count):
            self.complete(instance_id, SUBMIT, self.staff)
            review = {**RETURN, "supervisor_opinion": f"{opinion} {number}"}
            self.complete(instance_id, review, self.supervisor)

    def cold_load(self, instance_id: int, *, decode_only: bool = False) -> float:
        """Read and rebuild an instance no process holds in memory (in an open txn)."""
        cache.for_bind(self.bind).clear()
        with self.engine.sessions.begin() as session:
            # Connect and BEGIN first: not part of loading. psycopg sends its BEGIN with
            # the first statement, so one is run here.
            session.execute(text("SELECT 1"))
            began = time.perf_counter()
            row = instances.get(session, instance_id, lock=True)
            if decode_only:
                began = time.perf_counter()
            instances.open_workflow(session, row, self.scripts)
            return time.perf_counter() - began

    def bare_commit(self) -> float:
        def work() -> None:
            with self.engine.sessions.begin() as session:
                session.execute(text("UPDATE bench_probe SET n = n + 1 WHERE id = 1"))
        return statistics.median(samples(work, 60))

    def stored(self, instance_id: int) -> int:
        with self.engine.sessions() as session:
            state = session.scalar(select(func.length(ProcessInstance.state)).where(
                ProcessInstance.id == instance_id)) or 0
            archived = session.scalar(select(func.coalesce(func.sum(func.length(
                ArchivedTask.payload)), 0)).where(
                    ArchivedTask.instance_id == instance_id))
        return int(state) + int(archived or 0)

    def whole_instance(self) -> float:
        """Seconds in the four requests (start, three completions) of one instance."""
        began = time.perf_counter()
        info = self.engine.start_instance("two_approver", {}, actor=self.staff)
        spent = time.perf_counter() - began
        for who, data in zip((self.staff, self.supervisor, self.manager), WHOLE):
            spent += self.complete(info.id, data, who)["seconds"]
        assert self.engine.get_instance(info.id, actor=SYSTEM).status is \
            InstanceStatus.COMPLETED
        return spent


class Parts:
    """Time spent in the engine's steps, by wrapping the module functions it calls."""

    WRAPPED = (("load", instances, "get"), ("load", instances, "open_workflow"),
               ("spiff step", runtime, "complete"), ("save", instances, "save"),
               ("trim+encode", history, "compact"), ("trim+encode", store, "dump"),
               ("trim+encode", store, "archive_rows"),
               ("inbox projection", worklist, "sync"), ("timer rows", timers, "sync"))

    def __init__(self) -> None:
        self.spent: dict[str, float] = {}
        self.originals = [(m, n, getattr(m, n)) for _, m, n in self.WRAPPED]
        for part, module, name in self.WRAPPED:
            setattr(module, name, self._wrap(part, getattr(module, name)))

    def close(self) -> None:
        for module, name, original in self.originals:
            setattr(module, name, original)

    def _wrap(self, part: str, function: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            began = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                spent = time.perf_counter() - began
                self.spent[part] = self.spent.get(part, 0.0) + spent
        return timed

    def split(self, total: float, count: int) -> dict[str, float]:
        """Mean time per part; the rest of the median completion: "everything else"."""
        spent = {k: v / count for k, v in self.spent.items()}
        inner = sum(spent.get(k, 0.0) for k in ("inbox projection", "timer rows",
                                                "trim+encode"))
        spent["save"] = spent.get("save", 0.0) - inner  # its SQL, and what it flushes
        spent["everything else"] = total - sum(spent.values())
        return spent


def raw_figures(raw: Raw, into: dict[str, list[float]]) -> dict[str, int]:
    """Sample the raw SpiffWorkflow baselines (called before and after the engine)."""
    small, mid = raw.loop_at(2), raw.loop_at(200)
    state_small, state_mid = raw.dump(small), raw.dump(mid)

    def raw_step() -> None:
        workflow = raw.load(state_small, raw.loop)
        raw.step(workflow, SUBMIT)
        raw.dump(workflow)

    for key, work, runs in (
            ("raw_step", raw_step, 200),
            ("raw_load", lambda: raw.load(state_small, raw.loop), 200),
            ("raw_load_mid", lambda: raw.load(state_mid, raw.loop), 10),
            ("raw_whole", raw.whole_instance, 200)):
        into.setdefault(key, []).extend(samples(work, runs))
    return {"history_small": completed(small), "history_mid": completed(mid)}


def measure(bench: Bench, raw: Raw, history: int) -> dict[str, Any]:
    raw_samples: dict[str, list[float]] = {}
    f: dict[str, Any] = raw_figures(raw, raw_samples)
    base = f["history_small"] - 8  # tasks completed before the first round
    f["bare_commit"] = bench.bare_commit()
    ids, counted = [bench.loop() for _ in range(30)], [bench.loop() for _ in range(30)]
    for instance_id in ids + counted:
        bench.rounds(instance_id, 2)
    f["step_small"] = statistics.median(
        bench.complete(i, SUBMIT, bench.staff)["seconds"] for i in ids)
    parts = Parts()  # the parts and the SQL come from a second run at the same history
    f["warm_steps"] = warm = [bench.complete(i, SUBMIT, bench.staff, counted=True)
                              for i in counted]
    parts.close()
    f["parts"] = parts.split(statistics.median(s["seconds"] for s in warm), len(warm))
    cold = []
    for instance_id in ids:
        cache.for_bind(bench.bind).clear()
        cold.append(bench.complete(instance_id, RETURN, bench.supervisor)["seconds"])
    f["step_small_cold"] = statistics.median(cold)
    f["load_small"] = statistics.median(bench.cold_load(i) for i in ids)
    f["decode_small"] = statistics.median(bench.cold_load(i, decode_only=True)
                                          for i in ids)
    mid = bench.loop()
    bench.rounds(mid, 200)
    f["load_mid"] = statistics.median(bench.cold_load(mid) for _ in range(20))

    rounds = (history - base) // 4 + 1
    big, began = bench.loop(), time.perf_counter()
    bench.rounds(big, rounds // 2)
    half = bench.stored(big)
    bench.rounds(big, rounds - rounds // 2)
    f["build_seconds"] = time.perf_counter() - began
    f["history_big"] = base + 4 * rounds
    f["stored_growth_constant"] = (bench.stored(big) - half) / half
    people = (bench.staff, bench.supervisor)
    f["big_steps"] = [bench.complete(big, (SUBMIT, RETURN)[k % 2], people[k % 2],
                                     counted=True) for k in range(20)]
    f["step_big"] = statistics.median(
        bench.complete(big, (SUBMIT, RETURN)[k % 2], people[k % 2])["seconds"]
        for k in range(40))
    f["load_big"] = statistics.median(bench.cold_load(big) for _ in range(10))
    bench.complete(big, SUBMIT, bench.staff)
    last = bench.complete(big, {"supervisor_decision": "approve"}, bench.supervisor)
    f["big_completed"] = last["info"].status is InstanceStatus.COMPLETED

    growing = bench.loop(keep_opinions=True)
    bench.rounds(growing, 100, "an opinion of a few words")
    first = bench.stored(growing)
    bench.rounds(growing, 100, "an opinion of a few words")
    f["stored_growth_growing"] = (bench.stored(growing) - first) / first
    f["engine_whole"] = statistics.median(bench.whole_instance() for _ in range(40))
    raw_figures(raw, raw_samples)
    f.update({k: statistics.median(v) for k, v in raw_samples.items()})
    return f


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f} ms"


def rows(f: dict[str, Any], throughput: float) -> list[tuple[Any, ...]]:
    """(label, measured, ratio, target, ok) per figure; ok None = information only."""
    warm, big = f["warm_steps"], f["big_steps"]
    small, mid, large = f["history_small"], f["history_mid"], f["history_big"]
    statements = max(len(s["statements"]) for s in warm + big)
    commits = {s["commits"] for s in warm + big}
    written = (statistics.median(s["written"] for s in big),
               statistics.median(s["written"] for s in warm))
    base = f["raw_step"] + f["bare_commit"]
    one, cold = f["step_small"] / base, f["step_small_cold"] / base
    flat = f["step_big"] / f["step_small"]
    load, decode = f["load_small"] / f["raw_load"], f["decode_small"] / f["raw_load"]
    load_mid = f["load_mid"] / f["raw_load_mid"]
    whole = f["raw_whole"] / f["engine_whole"]
    constant, growing = f["stored_growth_constant"], f["stored_growth_growing"]
    return [
        (f"1 completion at {small} tasks / (raw load+step+save + bare commit)",
         f"{ms(f['step_small'])} / ({ms(f['raw_step'])} + {ms(f['bare_commit'])})",
         one, "<= 2", one <= 2),
        ("  same, not in this process's memory (cold)", ms(f["step_small_cold"]), cold,
         "(info)", None),
        (f"2 completion at {large} tasks / at {small} tasks",
         f"{ms(f['step_big'])} / {ms(f['step_small'])}", flat, "<= 2", flat <= 2),
        ("3 commits per completion", str(sorted(commits)), None, "== 1",
         commits == {1}),
        ("3 SQL statements per completion (max, incl. BEGIN)", str(statements), None,
         "<= 10", statements <= 10),
        (f"3 bytes written per completion at {large} / at {small} tasks",
         f"{written[0]:.0f} / {written[1]:.0f}", written[0] / written[1], "<= 1.25",
         written[0] / written[1] <= 1.25),
        ("3 stored bytes: 2nd half of history / 1st half", "", constant, "<= 1.5",
         constant <= 1.5),
        ("3 same with a list growing each round (rounds 101-200 / 1-100)", "", growing,
         "<= 1.5", growing <= 1.5),
        (f"4 cold load at {small} tasks / raw deserialization",
         f"{ms(f['load_small'])} / {ms(f['raw_load'])}", load, "<= 1.25", load <= 1.25),
        ("  same, rebuilding the row read (without the SELECT)",
         f"{ms(f['decode_small'])} / {ms(f['raw_load'])}", decode, "(info)", None),
        (f"4 cold load at {mid} tasks / raw deserialization",
         f"{ms(f['load_mid'])} / {ms(f['raw_load_mid'])}", load_mid, "<= 1.25",
         load_mid <= 1.25),
        (f"4 cold load at {large} tasks (raw Spiff cannot loop that far)",
         ms(f["load_big"]), None, "(info)", None),
        ("5 whole instances per second, engine / raw in memory",
         f"{1 / f['engine_whole']:.1f} / {1 / f['raw_whole']:.1f}", whole,
         f">= {throughput}", whole >= throughput),
        (f"6 loop instance with {large} completed tasks completes",
         "completed" if f["big_completed"] else "NOT completed", None, "completes",
         f["big_completed"]),
    ]


def report(name: str, f: dict[str, Any], throughput: float) -> list[bool]:
    table = rows(f, throughput)
    print(f"\n== {name}  (long history built in {f['build_seconds']:.0f} s)")
    print(f"{'figure':<66} {'measured':>30} {'ratio':>6} {'target':>8}  result")
    for label, measured, ratio, target, ok in table:
        shown = f"{ratio:.2f}" if ratio is not None else ""
        verdict = "" if ok is None else ("PASS" if ok else "FAIL")
        print(f"{label:<66} {measured:>30} {shown:>6} {target:>8}  {verdict}")
    print(f"   warm completion at {f['history_small']} tasks, by part (in a run timing "
          "them, which adds a little): " + ", ".join(
        f"{k} {ms(v)}" for k, v in f["parts"].items()))
    counts: dict[str, int] = {}
    for statement in f["warm_steps"][0]["statements"]:
        counts[statement] = counts.get(statement, 0) + 1
    print("   its statements: " + "; ".join(f"{n}x {s}" for s, n in counts.items()))
    return [ok for *_, ok in table if ok is not None]


@contextmanager
def database(kind: str, pg_url: str) -> Iterator[str]:
    if kind == "sqlite":
        with tempfile.TemporaryDirectory() as folder:
            yield f"sqlite:///{folder}/bench.db"
        return
    admin = create_engine(pg_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{BENCH_DB}"'))
    try:
        url = make_url(pg_url).set(database=BENCH_DB)
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)'))
        admin.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--pg-url", default=PG_ADMIN)
    parser.add_argument("--history", type=int, default=5000)
    args = parser.parse_args()
    raw, results = Raw(), []
    targets = {"sqlite": ("SQLite (WAL)", 0.15), "postgresql": ("PostgreSQL", 0.08)}
    for kind in args.databases.split(","):
        with database(kind, args.pg_url) as url:
            bench = Bench(url)
            try:
                figures = measure(bench, raw, args.history)
            finally:
                bench.engine.close()
        results += report(targets[kind][0], figures, targets[kind][1])
    print(f"\n{sum(results)} of {len(results)} targets pass")
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
