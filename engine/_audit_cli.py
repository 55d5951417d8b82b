"""The ``audit`` commands of ``signoff``: list, verify and export the trail.

Kept apart from ``engine/cli.py``, which adds them with one call; runs without Flask.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterable
from contextlib import nullcontext
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

from engine._deadlines_cli import actor_of
from engine.audit_records import AuditFilter, VerificationResult
from engine.core import Engine

Add = Callable[..., None]
_JSON = ("--json", dict(action="store_true", help="print JSON"))
_DAY_OR_TIME = (
    "an office day YYYY-MM-DD (in SIGNOFF_TIMEZONE; --until includes it) or an ISO "
    "time (without an offset: UTC)"
)


def add_commands(sub: Any, add: Add) -> None:
    """``audit [list]`` lists events (``audit --instance N`` still works); ``audit
    verify`` checks the hash chain or an exported file; ``audit export`` streams."""
    as_user = ("--as", dict(dest="user", default=None))
    listing = (("--instance", dict(type=int)), as_user, _JSON)
    add(sub, "audit", _audit, "show, verify or export the audit trail", *listing)
    actions = sub.choices["audit"].add_subparsers(dest="audit_command",
                                                  metavar="ACTION")
    add(actions, "list", _audit, "list audit events", *listing)
    add(actions, "verify", _audit_verify, "verify the hash chain (exit 3 if broken)",
        ("--file", dict(type=Path, default=None,
                        help="an instance record (export --record N) or a JSON Lines "
                             "export (export --format jsonl); CSV cannot be verified")),
        as_user, _JSON)
    add(actions, "export", _audit_export,
        "export events as CSV or JSON Lines (times in UTC)",
        ("--format", dict(dest="fmt", default="csv", choices=["csv", "jsonl"])),
        ("--record", dict(type=int, default=None, help="one instance, verifiable")),
        ("--instance", dict(type=int)), ("--process", dict(default=None)),
        ("--business-key", dict(default=None)),
        ("--by", dict(default=None, help="events by this user (name or its start)")),
        ("--type", dict(dest="types", action="append", default=[])),
        ("--since", dict(type=day_or_time, default=None, help=_DAY_OR_TIME)),
        ("--until", dict(type=day_or_time, default=None, help=_DAY_OR_TIME)),
        ("--output", dict(type=Path, default=None)), as_user)


def _audit(engine: Engine, args: argparse.Namespace) -> list[Any]:
    return engine.audit_log(actor=actor_of(engine, args), instance_id=args.instance)


def _audit_verify(engine: Engine, args: argparse.Namespace) -> VerificationResult:
    if args.file is not None:
        return engine.verify_audit_file(args.file.read_bytes())
    return engine.verify_audit_chain(actor=actor_of(engine, args))


def _audit_export(engine: Engine, args: argparse.Namespace) -> None:
    actor = actor_of(engine, args)
    chunks: Iterable[str | bytes]
    if args.record is not None:
        chunks = [engine.export_instance_record(args.record, actor=actor)]
    else:
        chunks = engine.export_audit(AuditFilter(
            process_id=args.process, instance_id=args.instance,
            business_key=args.business_key, user=args.by,
            event_types=tuple(args.types), since=args.since, until=args.until),
            fmt=args.fmt, actor=actor)
    target = args.output.open("wb") if args.output else nullcontext(sys.stdout.buffer)
    with target as out:
        for chunk in chunks:
            out.write(chunk if isinstance(chunk, bytes) else chunk.encode("utf-8"))
        out.flush()


def day_or_time(text: str) -> date | datetime:
    """``2026-11-23``: that office day; ``2026-11-23T08:00+08:00``: that instant."""
    try:
        if len(text) == 10:
            return date.fromisoformat(text)
        value = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is neither a day YYYY-MM-DD nor an ISO time"
        ) from None
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
