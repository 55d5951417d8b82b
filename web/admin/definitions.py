"""Admin views of definitions: the list, one process's versions, diffs, sources, upload.

Read the request, ask the engine, render; every check and change happens in the engine.
"""

from __future__ import annotations

import io
from collections import defaultdict
from itertools import groupby

from flask import abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext
from werkzeug.wrappers import Response

from engine import DefinitionInfo, DefinitionInvalid
from engine.errors import DraftExists, TextDamaged
from engine.xmlsafe import MAX_BYTES
from web import current_engine
from web.admin._blueprint import actor, admin_engine, bp, damaged_message, int_arg

KINDS = ("bpmn", "dmn")
MIB = 1024 * 1024


@bp.get("/")
def index() -> str:
    """Every process and decision with its versions, every form, and open drafts."""
    engine, who = admin_engine(), actor()
    versions = engine.list_process_versions(actor=who)
    processes = {
        pid: list(rows) for pid, rows in groupby(versions, lambda v: v.process_id)
    }
    decisions: defaultdict[str, list[DefinitionInfo]] = defaultdict(list)
    for info in current_engine().list_definitions(actor=who):
        if info.kind == "dmn":
            decisions[info.def_id].insert(0, info)
    return render_template(
        "admin/index.html",
        processes=processes,
        decisions=decisions,
        forms=engine.list_forms(actor=who),
        drafts=engine.list_drafts(actor=who),
    )


@bp.get("/processes/<process_id>")
def process(process_id: str) -> str:
    """All versions of one process: who, when, why, pinned files, instances on each."""
    versions = [
        v
        for v in admin_engine().list_process_versions(actor=actor())
        if v.process_id == process_id
    ]
    if not versions:
        abort(404)
    return render_template(
        "admin/process.html", process_id=process_id, versions=versions
    )


@bp.get("/processes/<process_id>/diff")
def process_diff(process_id: str) -> str:
    """What changed between two versions of a process, file by pinned file."""
    old, new = int_arg("from"), int_arg("to")
    if old is None or new is None:
        abort(400)
    diffs = admin_engine().diff_versions(process_id, old, new, actor=actor())
    return render_template(
        "admin/diff.html",
        title=process_id,
        diffs=diffs,
        from_version=old,
        to_version=new,
        process_id=process_id,
    )


@bp.get("/definitions/<kind>/<def_id>/diff")
def definition_diff(kind: str, def_id: str) -> str:
    """Two versions of one file, or its live version and the draft (no ``to``)."""
    old, new = int_arg("from"), int_arg("to")
    if kind not in KINDS or old is None:
        abort(400)
    diff = admin_engine().diff_definition(kind, def_id, old, new, actor=actor())
    return render_template(
        "admin/diff.html",
        title=def_id,
        diffs=[diff],
        from_version=old,
        to_version=new,
        process_id=None,
    )


@bp.get("/definitions/<kind>/<def_id>/source")
def source(kind: str, def_id: str) -> Response:
    """The deployed file, to open in another modeler."""
    if kind not in KINDS:
        abort(400)
    engine, who, version = current_engine(), actor(), int_arg("version")
    data = engine.get_definition_source(def_id, version, kind=kind, actor=who)
    names = {  # under the name it was deployed as, so an upload of it renames nothing
        info.version: info.file_name
        for info in engine.list_definitions(actor=who)
        if info.kind == kind and info.def_id == def_id
    }
    name = names.get(version) if version is not None else names[max(names)]
    return send_file(
        io.BytesIO(data),
        mimetype="application/xml",
        as_attachment=True,
        download_name=name or f"{def_id}.{kind}",
    )


@bp.route("/upload", methods=("GET", "POST"))
def upload() -> Response | str | tuple[str, int]:
    """Make a draft from a BPMN, DMN or form file edited anywhere, then open it."""
    if request.method == "GET":
        return render_template("admin/upload.html")
    sent = request.files.get("file")
    if sent is None or not sent.filename:
        return (
            render_template("admin/upload.html", error=gettext("Choose a file.")),
            400,
        )
    data = sent.read()
    if len(data) > MAX_BYTES:
        return render_template("admin/upload.html", error=_too_large(len(data))), 413
    try:
        draft = admin_engine().upload_draft(
            sent.filename, data, actor=actor(), replace="replace" in request.form
        )
    except DraftExists as exc:  # someone's open draft: replaced only when ticked
        return render_template("admin/upload.html", conflict=exc), 409
    except TextDamaged as exc:
        return render_template("admin/upload.html", error=damaged_message(exc)), 422
    except DefinitionInvalid as exc:
        return render_template("admin/upload.html", error=exc.message), 422
    flash(gettext("Uploaded as a draft; check it and deploy."), "info")
    if draft.kind == "form":
        return redirect(url_for("admin.form_editor", key=draft.def_id))
    return redirect(url_for("admin.editor", kind=draft.kind, def_id=draft.def_id))


def _too_large(size: int) -> str:
    message: str = gettext(
        "The file is %(size)s; files may be at most %(limit)s.",
        size=f"{size / MIB:.1f} MiB",
        limit=f"{MAX_BYTES / MIB:g} MiB",
    )
    return message
