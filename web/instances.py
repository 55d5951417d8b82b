"""Blueprint "instances": my requests, and one instance with its trail and live diagram.

Visibility (starter, task holders, admins, auditors) is decided by the engine.
"""

from __future__ import annotations

from flask import Blueprint, current_app, render_template, request

from web import current_engine
from web.auth import current_actor, login_required
from web.decisions import data_rows, earlier_decisions, instance_fields
from web.i18n import current_language

bp = Blueprint("instances", __name__, url_prefix="/instances")

DIAGRAM_STATES = ("completed", "active", "waiting", "errored")


@bp.get("/mine")
@login_required
def mine() -> str:
    """List the instances I started, newest first, with current step and holder."""
    actor, size = current_actor(), int(current_app.config["PAGE_SIZE"])
    raw_page = request.args.get("page", "1")
    page = max(1, min(int(raw_page), 10_000)) if raw_page.isdigit() else 1
    instances = current_engine().list_instances(
        actor=actor, started_by=actor.username, limit=size + 1, offset=(page - 1) * size
    )
    return render_template(
        "instances/mine.html",
        instances=instances[:size],
        page=page,
        has_next=len(instances) > size,
    )


@bp.get("/<int:instance_id>")
@login_required
def show(instance_id: int) -> str:
    """Show status and outcome, who did what and decided, and the live BPMN diagram."""
    actor, engine = current_actor(), current_engine()
    instance = engine.get_instance(instance_id, actor=actor)
    diagram = engine.instance_diagram(instance_id, actor=actor, lang=current_language())
    diagram_data = {state: list(getattr(diagram, state)) for state in DIAGRAM_STATES}
    history = engine.history(instance_id, actor=actor)
    known = instance_fields(history, instance.process_id, instance.version)
    decided = earlier_decisions(history, current_language(), known, choices_only=True)
    # Bookkeeping variables are for those who look after the process or audit it.
    everything = actor.is_admin or actor.is_auditor
    return render_template(
        "instances/show.html",
        instance=instance,
        history=history,
        choices={d.entry.id: d.rows for d in decided},
        data_rows=data_rows(
            instance.data, current_language(), known, internal=everything
        ),
        diagram=dict(diagram_data, xml=diagram.bpmn_xml),
    )
