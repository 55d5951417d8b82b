"""What a step shows of its instance: the data and the earlier decisions it may see.

A user task may name ``visibleData`` (variables or "dict.key" paths, comma-separated)
and ``visibleSteps`` (BPMN ids of the earlier steps whose decisions it shows). With
either, the step is *limited*: it shows only what they name, to everyone but admins and
auditors, whose full views stay intact. ``aboutVariable`` names the record a task is
about (a station's id); each completion keeps that value, and a limited step shows only
the decisions about its own record. Pure functions: no session, no SpiffWorkflow.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from engine.records import Actor, AuditEntry
from engine.values import at_path

PATH = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*")
STEP = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*")
PROPERTIES = ("visibleData", "visibleSteps", "aboutVariable")


def items(text: str | None) -> tuple[str, ...]:
    """The entries of a comma-separated property, blanks dropped."""
    return tuple(part.strip() for part in (text or "").split(",") if part.strip())


def is_path(text: str) -> bool:
    """A variable name or "dict.key" path (what ``dueInVariable`` also takes)."""
    return bool(PATH.fullmatch(text.strip()))


def is_path_list(text: str) -> bool:
    return bool(items(text)) and all(is_path(part) for part in items(text))


def is_step_list(text: str) -> bool:
    return bool(items(text)) and all(STEP.fullmatch(part) for part in items(text))


@dataclass(frozen=True, slots=True)
class Rule:
    """One step's rule; ``data`` and ``steps`` are None when the step names none."""

    data: tuple[str, ...] | None = None
    steps: tuple[str, ...] | None = None
    about: str | None = None

    @classmethod
    def of(cls, props: Mapping[str, str]) -> Rule:
        """Read the rule from a task's ``spiffworkflow:properties``."""
        data, steps = props.get("visibleData"), props.get("visibleSteps")
        return cls(data=None if data is None else items(data),
                   steps=None if steps is None else items(steps),
                   about=(props.get("aboutVariable") or "").strip() or None)

    @property
    def limited(self) -> bool:
        return self.data is not None or self.steps is not None

    def about_value(self, data: Mapping[str, Any]) -> str | None:
        """What a task with this rule is about, read from its data (None: unknown)."""
        value = at_path(data, self.about) if self.about else None
        return None if value is None or value == "" else str(value)


def sees_everything(actor: Actor) -> bool:
    """Admins and auditors read whole instances whatever a step names."""
    return actor.is_admin or actor.is_auditor


def pick(data: Mapping[str, Any], paths: Iterable[str]) -> dict[str, Any]:
    """Only the named variables and dict keys of ``data``, nested as they were.

    A path under one already named adds nothing ("a" covers "a.b").
    """
    named = set(paths)
    picked: dict[str, Any] = {}
    for path in sorted(named, key=lambda p: p.count(".")):
        parts = path.split(".")
        if any(".".join(parts[:n]) in named for n in range(1, len(parts))):
            continue
        value = at_path(data, path)
        if value is None:
            continue
        target = picked
        for part in parts[:-1]:
            target = target.setdefault(part, {})
        target[parts[-1]] = value
    return picked


def decisions(rule: Rule, about: str | None,
              history: Iterable[AuditEntry]) -> tuple[AuditEntry, ...]:
    """The completions a limited step shows: of its named steps, about its record.

    With a record (``about``), a completion that recorded another record, or none,
    is left out: a station's step never shows a decision about another station.
    """
    steps = set(rule.steps or ())
    return tuple(e for e in history if e.bpmn_id in steps
                 and (about is None or e.payload.get("about") == about))


def limited_viewer(actor: Actor, started_by: str, rules: Iterable[Rule]) -> bool:
    """Whether ``actor`` takes part in an instance only through limited steps.

    Such a person reads the instance through those steps' pages only: its page then
    shows no instance-wide data and only their own tasks' history.
    """
    if sees_everything(actor) or actor.username == started_by:
        return False
    found = list(rules)
    return bool(found) and all(rule.limited for rule in found)
