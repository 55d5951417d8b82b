"""Form definitions: read, check and cache forms/schemas/<form_key>.json as FormSpec.

Pure Python: never imports flask, engine or sqlalchemy.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError
from forms import checks

logger = logging.getLogger(__name__)

DEFAULT_FORMS_DIR = Path(__file__).resolve().parent / "schemas"
NAME_RE = re.compile(r"[a-z][a-z0-9_]*")
DRAFT_2020_12 = "https://json-schema.org/draft/2020-12/schema"
WIDGETS = frozenset(
    {
        "text", "textarea", "radio", "select", "checkbox", "checkboxes",
        "date", "money", "integer", "number", "file_text",
    }
)  # fmt: skip

_cache: dict[Path, tuple[int, int, FormSpec]] = {}
_cache_lock = threading.Lock()


class FormNotFound(LookupError):
    """No form exists under this key (or the key cannot name a form)."""

    def __init__(self, form_key: str, reason: str = "no such form") -> None:
        super().__init__(f"form {form_key!r}: {reason}")
        self.form_key = form_key
        self.reason = reason

    def __repr__(self) -> str:
        name = type(self).__name__
        return f"{name}(form_key={self.form_key!r}, reason={self.reason!r})"


class FormSchemaInvalid(ValueError):
    """A form file exists but is not a usable JSON Schema form."""

    def __init__(self, file: str, reason: str) -> None:
        super().__init__(f"{file}: {reason}")
        self.file = file
        self.reason = reason

    def __repr__(self) -> str:
        return f"{type(self).__name__}(file={self.file!r}, reason={self.reason!r})"


@dataclass(frozen=True, slots=True)
class FormSpec:
    """One loaded form; `schema` is shared with the cache and must not be mutated.

    Equality and hashing ignore `schema`; `version` (sha256 of the file) stands for it.
    """

    key: str
    schema: dict[str, Any] = field(compare=False, repr=False)
    title_zh: str
    title_en: str
    order: tuple[str, ...]
    required: frozenset[str]
    version: str
    source: bytes = field(default=b"", compare=False, repr=False)  # the file's bytes

    @property
    def properties(self) -> dict[str, dict[str, Any]]:
        """Return the schema's `properties` mapping (field name -> subschema)."""
        props: dict[str, dict[str, Any]] = self.schema.get("properties", {})
        return props

    def title_for(self, lang: str) -> str:
        """Return the title in `lang`, else in the other language, else the key."""
        first, second = (
            (self.title_zh, self.title_en)
            if normalize_lang(lang) == "zh"
            else (self.title_en, self.title_zh)
        )
        return first or second or self.key


def normalize_lang(lang: str) -> str:
    """Reduce a language tag such as "zh-CN" or "en_US" to its primary subtag."""
    return lang.replace("_", "-").split("-", 1)[0].lower()


def pick_text(texts: object, lang: str, default: str) -> str:
    """Pick `texts[lang]`, then zh, then en, then `default` from a {zh, en} mapping."""
    if isinstance(texts, str):
        return texts or default
    if not isinstance(texts, Mapping):
        return default
    for candidate in (normalize_lang(lang), "zh", "en"):
        text = texts.get(candidate)
        if isinstance(text, str) and text:
            return text
    return default


def load(form_key: str, *, forms_dir: Path | None = None) -> FormSpec:
    """Load `<forms_dir>/<form_key>.json`, cached while the file is unchanged."""
    if not isinstance(form_key, str) or not NAME_RE.fullmatch(form_key):
        raise FormNotFound(str(form_key), "form keys look like visit_review")
    directory = forms_dir if forms_dir is not None else DEFAULT_FORMS_DIR
    path = directory / f"{form_key}.json"
    try:
        # A stat, not an open, per call: every task page and completion loads its form.
        # A change between the stat and the read is seen by the next call's stat.
        stat = os.stat(path)
        with _cache_lock:
            cached = _cache.get(path)
        if cached is not None and cached[:2] == (stat.st_mtime_ns, stat.st_size):
            return cached[2]
        raw = path.read_bytes()
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError) as exc:
        raise FormNotFound(form_key, f"{path.name} not found") from exc
    spec = parse(form_key, raw, file=path.name)
    with _cache_lock:
        _cache[path] = (stat.st_mtime_ns, stat.st_size, spec)
    logger.debug("loaded form %s version %s", form_key, spec.version)
    return spec


def parse(form_key: str, raw: bytes, *, file: str) -> FormSpec:
    """Build a FormSpec from a form file's bytes; errors name `file`."""
    try:
        schema = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FormSchemaInvalid(file, f"not valid JSON: {exc}") from exc
    _check(schema, file)
    title = schema.get("x-title")
    title = title if isinstance(title, dict) else {}
    return FormSpec(
        key=form_key,
        schema=schema,
        title_zh=str(title.get("zh") or ""),
        title_en=str(title.get("en") or ""),
        order=_field_order(schema),
        required=frozenset(schema.get("required", ())),
        version=hashlib.sha256(raw).hexdigest(),
        source=bytes(raw),
    )


def _field_order(schema: Mapping[str, Any]) -> tuple[str, ...]:
    first = list(schema.get("x-order", ()))
    return tuple(first + [name for name in schema["properties"] if name not in first])


def _check(schema: object, file: str) -> None:
    if not isinstance(schema, dict):
        raise FormSchemaInvalid(file, "the top level must be a JSON object")
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        where = "/".join(str(part) for part in exc.path) or "(root)"
        reason = f"invalid JSON Schema at {where}: {exc.message}"
        raise FormSchemaInvalid(file, reason) from exc
    declared = schema.get("$schema", DRAFT_2020_12)
    if declared.rstrip("#") != DRAFT_2020_12:
        raise FormSchemaInvalid(file, f"$schema must be {DRAFT_2020_12}")
    if schema.get("type") != "object":
        raise FormSchemaInvalid(file, 'the form schema must have "type": "object"')
    properties = schema.get("properties")
    if not isinstance(properties, dict) or not properties:
        raise FormSchemaInvalid(file, '"properties" must be a non-empty object')
    for name, prop in properties.items():
        _check_property(name, prop, file)
    _check_order(schema, file)
    _check_readonly(schema.get("x-readonly", []), file)
    wrong = checks.problems(schema)
    if wrong:
        raise FormSchemaInvalid(file, "; ".join(wrong))


def _check_property(name: str, prop: object, file: str) -> None:
    if not isinstance(prop, dict):
        raise FormSchemaInvalid(file, f"property {name!r} must be an object")
    widget = prop.get("x-widget")
    if widget is not None and widget not in WIDGETS:
        known = ", ".join(sorted(WIDGETS))
        reason = f"{name}: unknown x-widget {widget!r} (known: {known})"
        raise FormSchemaInvalid(file, reason)
    validator = prop.get("x-validator")
    if validator is not None and not (
        isinstance(validator, str) and NAME_RE.fullmatch(validator)
    ):
        raise FormSchemaInvalid(file, f"{name}: x-validator must match [a-z][a-z0-9_]*")


def _check_order(schema: Mapping[str, Any], file: str) -> None:
    order = schema.get("x-order", [])
    if not isinstance(order, list) or not all(isinstance(n, str) for n in order):
        raise FormSchemaInvalid(file, "x-order must be a list of property names")
    unknown = [name for name in order if name not in schema["properties"]]
    if unknown:
        raise FormSchemaInvalid(file, f"x-order names unknown properties: {unknown}")
    if len(set(order)) != len(order):
        raise FormSchemaInvalid(file, "x-order lists a property twice")


def _check_readonly(entries: object, file: str) -> None:
    if not isinstance(entries, list):
        raise FormSchemaInvalid(file, "x-readonly must be a list")
    for entry in entries:
        if not (
            isinstance(entry, dict)
            and isinstance(entry.get("field"), str)
            and entry["field"]
        ):
            raise FormSchemaInvalid(file, 'each x-readonly entry needs a "field" name')
