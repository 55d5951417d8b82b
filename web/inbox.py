"""Blueprint "inbox": my tasks and my groups' unclaimed tasks, filtered, sorted, paged.

Reads the query string into an InboxQuery, asks the engine for one page and the tab
counts, and renders. Claim/release/reassign buttons post to the tasks blueprint.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from datetime import datetime, timezone

from flask import Blueprint, current_app, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from engine import DefinitionInfo, TaskState
from web import current_engine
from web.auth import can_assign, current_actor, login_required

bp = Blueprint("inbox", __name__)

SCOPES = ("mine", "group")
STATES = ("ready", "completed")
DUE_FILTERS = ("any", "overdue")
SORTS = ("due_at", "created_at", "priority", "applicant")


@dataclass(frozen=True, slots=True)
class InboxQuery:
    """What the user asked the inbox for, read defensively from the query string."""

    tab: str = "mine"
    process: str = ""
    state: str = "ready"
    due: str = "any"
    sort: str = "due_at"
    applicant: str = ""
    page: int = 1

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> InboxQuery:
        """Parse ``args``; unknown values fall back to the defaults."""
        page = args.get("page", "1")
        return cls(
            tab=_choice(args.get("tab"), SCOPES),
            process=args.get("process", "").strip()[:128],
            state=_choice(args.get("state"), STATES),
            due=_choice(args.get("due"), DUE_FILTERS),
            sort=_choice(args.get("sort"), SORTS),
            applicant=" ".join(args.get("applicant", "").split())[:64],
            page=max(1, min(int(page), 10_000)) if page.isdigit() else 1,
        )

    def engine_filters(self, page_size: int) -> dict[str, object]:
        """Return engine.inbox keyword arguments for this query (one extra row)."""
        return {
            "scope": self.tab,
            "process_id": self.process or None,
            "state": TaskState(self.state),
            "overdue_only": self.due == "overdue",
            "sort": self.sort,
            "applicant": self.applicant or None,
            "limit": page_size + 1,
            "offset": (self.page - 1) * page_size,
        }

    def args(self, **changes: object) -> dict[str, object]:
        """Return the query string for this query with ``changes`` applied."""
        merged = asdict(replace(self, **changes))  # type: ignore[arg-type]
        defaults = asdict(InboxQuery())
        return {k: v for k, v in merged.items() if v != defaults[k] or k == "tab"}


def _choice(value: str | None, allowed: tuple[str, ...]) -> str:
    return value if value in allowed else allowed[0]


def is_live_process(definition: DefinitionInfo) -> bool:
    """Tell whether a definition is the live version of a BPMN process."""
    return definition.kind == "bpmn" and definition.latest


@bp.get("/")
@login_required
def index() -> str | Response:
    """Show one page of the chosen tab with counts for every tab.

    Auditors take no tasks: their home is the audit trail.
    """
    actor, engine = current_actor(), current_engine()
    if actor.is_auditor:
        return redirect(url_for("auditor.search"))
    query = InboxQuery.from_args(request.args)
    counts = engine.inbox_counts(actor)
    if "tab" not in request.args and not counts["mine"] and counts["group"]:
        # Nothing is claimed yet but the group has work: open where the work is.
        query = replace(query, tab="group")
    size = int(current_app.config["PAGE_SIZE"])
    tasks = engine.inbox(actor, **query.engine_filters(size))  # type: ignore[arg-type]
    return render_template(
        "inbox/index.html",
        tasks=tasks[:size],
        has_next=len(tasks) > size,
        counts=counts,
        query=query,
        tabs=SCOPES,
        processes=[
            d for d in engine.list_definitions(actor=actor) if is_live_process(d)
        ],
        now=datetime.now(timezone.utc),
        can_assign=can_assign(actor),
    )
