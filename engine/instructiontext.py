"""A task's instructions filled from instance data, with times and durations readable.

Models write ``{{ payout_deadlines.import }}`` or ``{{ feedback_period }}`` into their
instructions; the data holds machine forms ("2026-10-03T18:00:00+08:00", "P7D"). A person
reading the task sees "2026-10-03 18:00" (office time) and "7 天" / "7 days": every value
a placeholder prints passes through ``forms.readable`` for the text's language.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import tzinfo
from functools import lru_cache
from typing import Any

from jinja2 import Template, TemplateError
from jinja2.sandbox import SandboxedEnvironment

from forms.readable import readable


def fill(text: str, data: Mapping[str, Any], *, lang: str, zone: tzinfo) -> str:
    """Fill ``{{ var }}`` placeholders from ``data`` in Jinja's sandbox.

    A template that does not render is returned as written, so a modelling slip
    shows the placeholder instead of breaking the task page.
    """
    if "{" not in text:
        return text
    try:
        return _template(text, lang, zone).render(**data)
    except TemplateError:
        return text


@lru_cache(maxsize=1024)
def _template(text: str, lang: str, zone: tzinfo) -> Template:
    """Compiled once per text: a model's few templates are filled on every new task."""
    return _environment(lang, zone).from_string(text)


@lru_cache(maxsize=8)
def _environment(lang: str, zone: tzinfo) -> SandboxedEnvironment:
    def finalize(value: object) -> object:
        if isinstance(value, str):
            shown = readable(value, lang=lang, zone=zone)
            return value if shown is None else shown
        return value

    return SandboxedEnvironment(autoescape=False, finalize=finalize)


def compiles(text: str) -> bool:
    """Whether ``text`` is a template ``fill`` can render (checked at deploy)."""
    try:
        SandboxedEnvironment().parse(text)
    except TemplateError:
        return False
    return True
