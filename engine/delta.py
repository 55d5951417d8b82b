"""Small structural differences between two versions of JSON-like task data.

SpiffWorkflow copies a task's data to each child, so archived history must store what
changed, not the whole data again: a list that grows by one entry per rework round
stores that entry only, which keeps stored history linear even when the data grows.
Pure functions on already-converted (JSON-ready) values; no database, no Spiff.
"""

from __future__ import annotations

from typing import Any

# A patch is a dict with any of: "s" (set key: value), "d" (delete keys),
# "p" (key: nested patch), "a" (list/str append suffix), "r" (replace whole value).
Patch = dict[str, Any]


def diff(old: Any, new: Any) -> Patch | None:
    """Return a patch turning ``old`` into ``new`` (``None`` when they are equal)."""
    if old == new and type(old) is type(new):
        return None
    if isinstance(old, dict) and isinstance(new, dict):
        return _diff_dicts(old, new)
    if isinstance(old, list) and isinstance(new, list) and len(new) > len(old):
        if new[: len(old)] == old:
            return {"a": new[len(old):]}
    if isinstance(old, str) and isinstance(new, str) and len(new) > len(old) > 64:
        if new.startswith(old):
            return {"a": new[len(old):]}
    return {"r": new}


def _diff_dicts(old: dict[str, Any], new: dict[str, Any]) -> Patch:
    patch: Patch = {}
    sets: dict[str, Any] = {}
    nested: dict[str, Patch] = {}
    for key, value in new.items():
        if key not in old:
            sets[key] = value
            continue
        change = diff(old[key], value)
        if change is None:
            continue
        if "r" in change:
            sets[key] = change["r"]
        else:
            nested[key] = change
    deleted = [key for key in old if key not in new]
    if sets:
        patch["s"] = sets
    if nested:
        patch["p"] = nested
    if deleted:
        patch["d"] = deleted
    return patch


def apply(value: Any, patch: Patch | None) -> Any:
    """Return ``value`` with ``patch`` applied (``value`` itself is not modified)."""
    if patch is None:
        return value
    if "r" in patch:
        return patch["r"]
    if "a" in patch:
        return value + patch["a"]
    result = dict(value)
    for key in patch.get("d", ()):
        result.pop(key, None)
    result.update(patch.get("s", {}))
    for key, nested in patch.get("p", {}).items():
        result[key] = apply(result.get(key), nested)
    return result


def shallow(old: dict[str, Any], new: dict[str, Any]
            ) -> tuple[dict[str, Any], list[str]]:
    """Top-level keys of ``new`` that differ from ``old``, and keys ``new`` dropped.

    This is SpiffWorkflow's own task-data delta (``DeepMerge.get_updated_keys``), used
    for the live tree so that restoring a task copies its parent's data as Spiff does.
    """
    updates = {k: v for k, v in new.items() if k not in old or old[k] != v}
    return updates, [k for k in old if k not in new]
