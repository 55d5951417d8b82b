"""The ``signoff`` command line: the engine's contract for operators, scripts and tests.

Runs without Flask. ``web/cli.py`` adds ``serve`` on top of ``build_parser``. User errors
print one clear line on stderr and exit non-zero; they never show a traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import signal
import sys
from collections.abc import Callable, Sequence
from contextlib import suppress
from dataclasses import asdict, is_dataclass
from pathlib import Path
from typing import Any

from engine import _audit_cli, _deadlines_cli, demo
from engine._deadlines_cli import actor_of
from engine.audit_records import VerificationResult
from engine.config import EngineConfig
from engine.core import Engine
from engine.errors import (
    DefinitionInvalid,
    EngineError,
    InvalidInput,
    InvalidSubmission,
)
from engine.records import SYSTEM, Role
from engine.values import plain

Handler = Callable[[Engine, argparse.Namespace], Any]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="signoff", description="Signoff workflow engine")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    parser.subcommands = sub  # type: ignore[attr-defined]
    _add(sub, "init", _init, "create or upgrade the database",
         ("--demo", dict(action="store_true", help="create demo users and deploy workflows/")))
    _add(sub, "deploy", _deploy, "deploy BPMN/DMN files or folders",
         ("paths", dict(nargs="+", type=Path)), ("--comment", dict(default="")),
         ("--as", dict(dest="user", default=None)))
    _add(sub, "definitions", _definitions, "list deployed definitions", _JSON)
    _add(sub, "start", _start, "start a process instance", ("process_id", {}), _AS,
         ("--data", dict(default="{}")), ("--business-key", dict(default=None)),
         ("--version", dict(type=int, default=None)), _JSON)
    _add(sub, "tasks", _tasks, "list a user's tasks", _AS,
         ("--scope", dict(default="all", choices=["mine", "group", "all"])), _JSON)
    _add(sub, "claim", _claim, "claim a task", ("task_id", {}), _AS, _JSON)
    _add(sub, "complete", _complete, "complete a task with data", ("task_id", {}), _AS,
         ("--data", dict(default="{}")), _JSON)
    _add(sub, "instance", _instance, "show an instance", ("instance_id", dict(type=int)),
         ("--as", dict(dest="user", default=None)), _JSON)
    _audit_cli.add_commands(sub, _add)
    _add(sub, "fire-timers", _fire, "fire due timers once")
    _deadlines_cli.add_commands(sub, _add)
    _add(sub, "retry", _retry, "retry an errored instance", ("instance_id", dict(type=int)),
         ("--as", dict(dest="user", default=None)), _JSON)
    _add(sub, "cancel", _cancel, "cancel an instance", ("instance_id", dict(type=int)),
         ("--reason", dict(required=True)), ("--as", dict(dest="user", default=None)), _JSON)
    users = sub.add_parser("users", help="manage users").add_subparsers(
        dest="users_command", required=True, metavar="ACTION")
    _add(users, "add", _user_add, "add a user", ("username", {}),
         ("--group", dict(action="append", default=[], dest="groups")),
         ("--role", dict(default="staff", choices=[r.value for r in Role])),
         ("--password", dict(default=None)), ("--name", dict(default="")),
         ("--language", dict(default="zh", choices=["zh", "en"])))
    _add(users, "list", _user_list, "list users", _JSON)
    groups = sub.add_parser("groups", help="manage groups (lane names)").add_subparsers(
        dest="groups_command", required=True, metavar="ACTION")
    _add(groups, "add", _group_add, "add or retitle a group", ("name", {}),
         ("--title", dict(required=True, help="Chinese name")),
         ("--title-en", dict(required=True, help="English name")))
    _add(groups, "list", _group_list, "list groups", _JSON)
    return parser


_AS = ("--as", dict(dest="user", required=True, help="act as this user"))
_JSON = ("--json", dict(action="store_true", help="print JSON"))


def _add(sub: Any, name: str, handler: Handler, help_text: str,
         *arguments: tuple[str, dict[str, Any]]) -> None:
    command = sub.add_parser(name, help=help_text)
    for flag, options in arguments:
        command.add_argument(flag, **options)
    command.set_defaults(handler=handler)


def main(argv: Sequence[str] | None = None, *, engine: Engine | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return _run(args, engine)
    except BrokenPipeError:
        # The reader went away (`signoff audit --json | head`): stop without a
        # traceback, and point stdout at nothing so the final flush cannot fail again.
        with suppress(OSError, ValueError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 128 + signal.SIGPIPE  # what a shell reports for a command it stopped


def _run(args: argparse.Namespace, engine: Engine | None) -> int:
    try:
        engine = engine or Engine.from_config(EngineConfig.from_env())
        result = args.handler(engine, args)
    except BrokenPipeError:
        raise
    except InvalidSubmission as exc:
        for field, messages in exc.errors.items():
            for message in messages:
                print(f"error: {field or 'form'}: {message}", file=sys.stderr)
        return 1
    except DefinitionInvalid as exc:
        for problem in exc.problems:  # file:line [element]: reason, one line each
            print(f"error: {problem.message}", file=sys.stderr)
        return 1
    except EngineError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 1
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    _print(result, getattr(args, "json", False))
    sys.stdout.flush()  # here, so that a closed pipe is noticed inside ``main``
    return 3 if isinstance(result, VerificationResult) and not result.ok else 0


def _print(result: Any, as_json: bool) -> None:
    if result is None:
        return
    if as_json:
        print(json.dumps(plain(_data(result)), ensure_ascii=False, indent=2))
    elif isinstance(result, str):
        print(result)
    elif isinstance(result, VerificationResult):
        print(result.summary())
    else:
        for item in result if isinstance(result, list) else [result]:
            print(_line(item))


def _data(value: Any) -> Any:
    if isinstance(value, list):
        return [_data(v) for v in value]
    return asdict(value) if is_dataclass(value) and not isinstance(value, type) else value


def _line(item: Any) -> str:
    data = plain(_data(item))
    if not isinstance(data, dict):
        return str(data)
    keys = [k for k in ("id", "name", "kind", "def_id", "version", "process_id", "bpmn_id",
                        "title", "title_en",
                        "status", "lane", "assignee", "event_type", "actor", "at",
                        "username", "role", "groups", "created") if k in data]
    return "  ".join(f"{k}={data[k]}" for k in keys)


def _load_json(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"--data is not valid JSON: {exc.msg} at column {exc.colno}")
    if not isinstance(value, dict):
        raise InvalidInput("--data must be a JSON object")
    return value


def _init(engine: Engine, args: argparse.Namespace) -> str:
    engine.upgrade_schema()
    demo.ensure_groups(engine)
    if not args.demo:
        return "database ready"
    created = demo.ensure_users(engine)
    config = EngineConfig.from_env()
    deployed = engine.deploy_directory(config.workflows_dir, actor=SYSTEM,
                                       comment="shipped workflows")
    new = sum(1 for d in deployed if d.created)
    seeded = demo.seed_instances(engine, config.workflows_dir / "samples" /
                                 "demo_instances.json")
    lines = [f"database ready; {new} definition(s) deployed; {seeded} demo instance(s)"]
    if created:
        lines.append(f"demo users created ({', '.join(created)}); password: "
                     f"{demo.DEMO_PASSWORD}")
    return "\n".join(lines)


def _deploy(engine: Engine, args: argparse.Namespace) -> list[Any]:
    files: dict[str, bytes] = {}
    for path in args.paths:
        if path.is_dir():
            files.update({p.name: p.read_bytes() for p in sorted(path.iterdir())
                          if p.suffix in (".bpmn", ".dmn")})
        else:
            files[path.name] = path.read_bytes()
    return engine.deploy(files, actor=actor_of(engine, args), comment=args.comment)


def _definitions(engine: Engine, args: argparse.Namespace) -> list[Any]:
    return engine.list_definitions(actor=SYSTEM)


def _start(engine: Engine, args: argparse.Namespace) -> Any:
    return engine.start_instance(args.process_id, _load_json(args.data),
                                 actor=actor_of(engine, args),
                                 business_key=args.business_key, version=args.version)


def _tasks(engine: Engine, args: argparse.Namespace) -> list[Any]:
    return engine.inbox(actor_of(engine, args), scope=args.scope, limit=500)


def _claim(engine: Engine, args: argparse.Namespace) -> Any:
    return engine.claim_task(args.task_id, actor=actor_of(engine, args))


def _complete(engine: Engine, args: argparse.Namespace) -> Any:
    return engine.complete_task(args.task_id, _load_json(args.data),
                                actor=actor_of(engine, args))


def _instance(engine: Engine, args: argparse.Namespace) -> Any:
    return engine.get_instance(args.instance_id, actor=actor_of(engine, args))


def _fire(engine: Engine, args: argparse.Namespace) -> str:
    return f"{engine.fire_due_timers()} instance(s) had timers fired"


def _retry(engine: Engine, args: argparse.Namespace) -> Any:
    return engine.retry_instance(args.instance_id, actor=actor_of(engine, args))


def _cancel(engine: Engine, args: argparse.Namespace) -> Any:
    return engine.cancel_instance(args.instance_id, reason=args.reason,
                                  actor=actor_of(engine, args))


def _user_add(engine: Engine, args: argparse.Namespace) -> Any:
    password = args.password or secrets.token_urlsafe(12)
    info = engine.add_user(args.username, password=password, groups=args.groups,
                           role=Role(args.role), display_name=args.name,
                           language=args.language, actor=SYSTEM)
    if not args.password:
        print(f"password for {args.username}: {password}")
    return info


def _group_add(engine: Engine, args: argparse.Namespace) -> Any:
    return engine.ensure_group(args.name, title=args.title, title_en=args.title_en,
                               actor=SYSTEM)


def _group_list(engine: Engine, args: argparse.Namespace) -> list[Any]:
    return engine.list_groups()


def _user_list(engine: Engine, args: argparse.Namespace) -> list[Any]:
    return engine.list_users(actor=SYSTEM)
