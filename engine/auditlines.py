"""Offline checks of an exported audit file: an instance record or a JSON Lines export.

A JSON Lines export holds whole events with their chain fields, so each event is checked
against its own hashes, and each pair of events next to each other in the chain (by
``seq``; the file is in time order) against their link. What a filtered export left out
between two events cannot be checked: the result counts those gaps. Never touches the
database.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from engine import auditrecord
from engine.audit_records import ChainProblem, ProblemKind, VerificationResult
from engine.auditchain import CONTENT_FIELDS, content_hash, link_hash
from engine.errors import InvalidInput

_CHAIN_FIELDS = ("prev_hash", "content_hash", "row_hash")
FORMATS_HELP = (
    "verify takes an instance record (signoff audit export --record N, or the "
    "auditor's 'Download the verifiable record') or a JSON Lines export "
    "(signoff audit export --format jsonl); a CSV export cannot be verified"
)


def verify_file(data: bytes) -> VerificationResult:
    """Check an exported file, whichever of the two verifiable formats it is in."""
    text = data.decode("utf-8-sig", errors="replace")
    try:
        whole = json.loads(text)
    except ValueError:
        whole = None  # several lines of JSON, or not JSON at all
    if isinstance(whole, Mapping) and ("events" in whole or "format" in whole):
        return auditrecord.verify(data)
    if text.lstrip().startswith("{"):
        return verify_lines(text)
    raise InvalidInput(f"not a Signoff audit file: {FORMATS_HELP}")


def verify_lines(text: str) -> VerificationResult:
    """Check a JSON Lines export: every event's hashes, the links between neighbours."""
    events = [_event(number, line) for number, line in
              enumerate(text.splitlines(), start=1) if line.strip()]
    if not events:
        raise InvalidInput(f"the file holds no events: {FORMATS_HELP}")
    # An export runs in time order, which is not always chain order: link by seq.
    events.sort(key=lambda e: int(e["seq"]))
    gaps = 0
    for before, event in zip([None, *events], events):
        problem = _check(before, event)
        if problem is not None:
            return VerificationResult(False, 0, int(events[-1]["seq"]),
                                      str(events[-1]["row_hash"]), problem,
                                      source="JSON Lines export")
        if before is not None and int(event["seq"]) != int(before["seq"]) + 1:
            gaps += 1
    last = events[-1]
    return VerificationResult(True, len(events), int(last["seq"]),
                              str(last["row_hash"]), source="JSON Lines export",
                              gaps=gaps)


def _event(number: int, line: str) -> dict[str, Any]:
    try:
        event: dict[str, Any] = json.loads(line)
    except ValueError as exc:
        raise InvalidInput(
            f"line {number} is not JSON ({exc}): {FORMATS_HELP}"
        ) from exc
    missing = [f for f in (*CONTENT_FIELDS, *_CHAIN_FIELDS)
               if not isinstance(event, dict) or f not in event]
    if missing:
        raise InvalidInput(f"line {number} is not an exported audit event (no "
                           f"{', '.join(missing)}): {FORMATS_HELP}")
    return event


def _check(before: Mapping[str, Any] | None,
           event: Mapping[str, Any]) -> ChainProblem | None:
    seq, event_id = int(event["seq"]), event.get("id")
    digest = content_hash(event)
    if digest != event["content_hash"] or link_hash(
        str(event["prev_hash"]), event["instance_id"], digest
    ) != event["row_hash"]:
        return ChainProblem(ProblemKind.ALTERED, event_id, seq,
                            "its content no longer matches its hash")
    if before is None:
        return None
    if seq == int(before["seq"]):
        return ChainProblem(ProblemKind.INSERTED, event_id, seq,
                            "another event of the file has the same place in the chain")
    if seq == int(before["seq"]) + 1 and event["prev_hash"] != before["row_hash"]:
        return ChainProblem(ProblemKind.INSERTED, event_id, seq,
                            "it does not link to the event before it in the chain")
    return None
