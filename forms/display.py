"""Read-only views of stored values: text, labelled key/value lists and tables.

Instance data holds what scripts and imports computed: dicts, lists of dicts, lists of
those. ``view`` turns one value into a tree of frozen nodes for a template, labelled
from a form field's schema where it has labels (``x-label`` and ``x-enum-labels``, on
``properties`` for a dict's keys and ``items`` for a list's entries), else from other
known fields of the same name. Writes no HTML; bounded, so a page-long import stays a
readable table and a deep value cannot nest without end.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, ClassVar, TypeAlias

from forms.readable import readable
from forms.spec import FormSpec, normalize_lang, pick_text

MAX_ROWS = 500  # rows of a table (items of a list) shown; the rest are counted
MAX_COLUMNS = 60  # columns of a table; keys past these are counted
MAX_DEPTH = 4  # nesting shown as structure; anything deeper reads as compact text
MAX_TEXT = 300  # characters of such compact text
EMPTY = "—"
Shape = Mapping[str, Any]  # a field's JSON Schema (x-label, x-enum-labels, ...)
_YES_NO = {"zh": ("是", "否"), "en": ("Yes", "No")}
_NUMBER_TYPES = frozenset({"integer", "number"})
_DECIMAL = re.compile(r"-?[0-9]+\.[0-9]+")  # "379.40"; not ids or phone numbers


@dataclass(frozen=True, slots=True)
class Text:
    """A scalar as people read it; ``numeric`` ones are right-aligned in tables."""

    text: str
    numeric: bool = False
    empty: bool = False
    kind: ClassVar[str] = "text"


@dataclass(frozen=True, slots=True)
class Pair:
    """One key of a dict with its label and its value's view."""

    key: str
    label: str
    value: Node


@dataclass(frozen=True, slots=True)
class Pairs:
    """A dict: one labelled value per key, in the dict's order."""

    pairs: tuple[Pair, ...]
    kind: ClassVar[str] = "pairs"


@dataclass(frozen=True, slots=True)
class Column:
    """A table column: the key, its label, and whether its values are numbers."""

    key: str
    label: str
    numeric: bool


@dataclass(frozen=True, slots=True)
class Table:
    """A list of dicts: columns from their keys (first seen first), rows capped."""

    columns: tuple[Column, ...]
    rows: tuple[tuple[Node, ...], ...]
    total: int
    hidden_columns: int = 0
    kind: ClassVar[str] = "table"

    @property
    def hidden(self) -> int:
        """How many rows are not shown (past MAX_ROWS)."""
        return self.total - len(self.rows)


@dataclass(frozen=True, slots=True)
class Items:
    """A list of mixed or nested values that is not a table: one view per item."""

    items: tuple[Node, ...]
    total: int
    kind: ClassVar[str] = "items"

    @property
    def hidden(self) -> int:
        """How many items are not shown (past MAX_ROWS)."""
        return self.total - len(self.items)


Node: TypeAlias = "Text | Pairs | Table | Items"
_EMPTY = Text(EMPTY, empty=True)


@dataclass(frozen=True, slots=True)
class _Context:
    lang: str
    known: Mapping[str, Shape]
    exact: bool = False


def view(
    value: object,
    shape: Shape | None = None,
    *,
    lang: str,
    known: Mapping[str, Shape] | None = None,
    exact: bool = False,
) -> Node:
    """Return ``value`` as a node tree labelled from ``shape`` (then ``known``).

    Computed times and periods read as "2026-10-03 18:00", "7 天" unless ``exact``.
    """
    context = _Context(normalize_lang(lang), known or {}, exact)
    return _view(value, shape or {}, context, 0)


def label_for(key: str, shape: Shape | None, lang: str) -> str:
    """Return the label ``shape`` gives a field (its key when it gives none)."""
    return pick_text((shape or {}).get("x-label"), lang, key)


def enum_labels(prop: Shape) -> Mapping[str, Any]:
    """Return a field's option labels: its own x-enum-labels, else its items'."""
    labels = prop.get("x-enum-labels")
    items = prop.get("items")
    if not isinstance(labels, Mapping) and isinstance(items, Mapping):
        labels = items.get("x-enum-labels")
    return labels if isinstance(labels, Mapping) else {}


def field_shapes(specs: Iterable[FormSpec | None]) -> dict[str, Shape]:
    """Return every field the forms know, by name: properties, then x-readonly entries.

    Later forms refine earlier ones, key by key, so a read-only entry that only
    relabels a field keeps the option labels of the form that asked for it.
    """
    shapes: dict[str, Shape] = {}
    for spec in specs:
        if spec is None:
            continue
        for name, prop in spec.properties.items():
            shapes[name] = merged(shapes.get(name), prop)
        for entry in spec.schema.get("x-readonly", []):
            name = entry["field"]
            shapes[name] = merged(shapes.get(name), readonly_shape(entry))
    return shapes


def readonly_shape(entry: Shape) -> Shape:
    """Return an x-readonly entry as a field shape (without its "field" key)."""
    return {key: value for key, value in entry.items() if key != "field"}


def merged(*shapes: Shape | None) -> Shape:
    """Return the shapes laid over each other, later keys winning."""
    result: dict[str, Any] = {}
    for shape in shapes:
        if shape:
            result.update(shape)
    return result


def plain(node: Node) -> str:
    """Return a node as one line of text (for titles and plain-text copies)."""
    if isinstance(node, Text):
        return node.text
    if isinstance(node, Pairs):
        return "; ".join(f"{pair.label}: {plain(pair.value)}" for pair in node.pairs)
    if isinstance(node, Table):
        return "; ".join(
            ", ".join(f"{c.label}: {plain(cell)}" for c, cell in zip(node.columns, row))
            for row in node.rows
        )
    return ", ".join(plain(item) for item in node.items)


def _view(value: object, shape: Shape, ctx: _Context, depth: int) -> Node:
    if value is None or value == "" or (_is_collection(value) and not value):
        return _EMPTY
    if isinstance(value, Mapping):
        if depth >= MAX_DEPTH:
            return Text(_compact(value))
        return Pairs(
            tuple(
                Pair(str(key), *_labelled(str(key), item, shape, ctx, depth))
                for key, item in value.items()
            )
        )
    if isinstance(value, (list, tuple)):
        return _sequence(value, shape, ctx, depth)
    return _scalar(value, shape, ctx)


def _labelled(
    key: str, value: object, shape: Shape, ctx: _Context, depth: int
) -> tuple[str, Node]:
    sub = _child(shape, key, ctx)
    return label_for(key, sub, ctx.lang), _view(value, sub, ctx, depth + 1)


def _child(shape: Shape, key: str, ctx: _Context) -> Shape:
    """The shape of one key of a dict: the schema's own, over a known field's."""
    properties = shape.get("properties")
    own = properties.get(key) if isinstance(properties, Mapping) else None
    known = ctx.known.get(key)
    if known is None:
        return own if isinstance(own, Mapping) else {}
    return merged(known, own if isinstance(own, Mapping) else None)


def _sequence(value: Sequence[object], shape: Shape, ctx: _Context, depth: int) -> Node:
    items = shape.get("items")
    item_shape: Shape = items if isinstance(items, Mapping) else {}
    if depth < MAX_DEPTH and all(isinstance(item, Mapping) for item in value):
        return _table(value, item_shape, ctx, depth)
    if not any(_is_collection(item) for item in value):
        labelled = merged(item_shape, {"x-enum-labels": enum_labels(shape)})
        texts = [_scalar(item, labelled, ctx).text for item in value[:MAX_ROWS]]
        more = "…" if len(value) > MAX_ROWS else ""
        return Text(("、" if ctx.lang == "zh" else ", ").join(texts) + more)
    if depth >= MAX_DEPTH:
        return Text(_compact(value))
    shown = tuple(_view(item, item_shape, ctx, depth + 1) for item in value[:MAX_ROWS])
    return Items(shown, total=len(value))


def _table(
    records: Sequence[object], shape: Shape, ctx: _Context, depth: int
) -> Table:
    rows: list[Mapping[Any, object]] = [
        row for row in records[:MAX_ROWS] if isinstance(row, Mapping)
    ]
    keys: dict[str, None] = {}
    for row in rows:
        keys.update(dict.fromkeys(str(key) for key in row))
    shown = list(keys)[:MAX_COLUMNS]
    shapes = [_child(shape, key, ctx) for key in shown]
    cells = tuple(
        tuple(
            _view(row.get(key), sub, ctx, depth + 1)
            for key, sub in zip(shown, shapes)
        )
        for row in rows
    )
    columns = tuple(
        Column(key, label_for(key, sub, ctx.lang), _all_numeric(cells, index))
        for index, (key, sub) in enumerate(zip(shown, shapes))
    )
    hidden = len(keys) - len(shown)
    return Table(columns, cells, total=len(records), hidden_columns=hidden)


def _all_numeric(rows: tuple[tuple[Node, ...], ...], index: int) -> bool:
    filled = [row[index] for row in rows if not getattr(row[index], "empty", False)]
    return bool(filled) and all(isinstance(n, Text) and n.numeric for n in filled)


def _scalar(value: object, shape: Shape, ctx: _Context) -> Text:
    lang = ctx.lang
    if isinstance(value, bool):
        yes, no = _YES_NO.get(lang, _YES_NO["en"])
        return Text(yes if value else no)
    if isinstance(value, (int, float, Decimal)):
        if shape.get("x-widget") == "money" and not isinstance(value, float):
            return Text(f"{Decimal(value):.2f}", numeric=True)
        return Text(str(value), numeric=True)
    text = value.isoformat() if isinstance(value, date) else str(value)
    if not ctx.exact and "type" not in shape:  # computed: a stored deadline or period
        shown = readable(text, lang=lang)
        if shown is not None:
            return Text(shown)
    labels = enum_labels(shape)
    if text in labels:
        return Text(pick_text(labels[text], lang, text))
    numeric = (
        shape.get("type") in _NUMBER_TYPES
        or shape.get("x-widget") == "money"
        or _DECIMAL.fullmatch(text) is not None
    )
    return Text(text, numeric=numeric)


def _is_collection(value: object) -> bool:
    return isinstance(value, (Mapping, list, tuple))


def _compact(value: object) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 1] + "…"
