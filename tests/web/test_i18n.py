"""Translations: complete catalogues and no text hard-coded in templates."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po
from jinja2 import Environment

from web.i18n import TRANSLATIONS, compile_catalogs

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "web" / "templates"
# Language names are shown in their own language on purpose, whatever the UI language.
ALLOWED_WORDS = {"中文", "English"}
WORDS = re.compile(r"[A-Za-z\u4e00-\u9fff]")
JINJA = Environment(extensions=["jinja2.ext.i18n"])
ATTRIBUTE = re.compile(r"^[a-z-]+=")  # attributes written by macros outside a tag


def catalog(lang: str) -> dict[str, str]:
    """msgid -> translation; a plural message is keyed by its singular and counts as
    translated only when every plural form is."""
    with (TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        found = {}
        for m in read_po(fh):
            if not m.id:
                continue
            if isinstance(m.id, str):
                found[m.id] = str(m.string)
            else:
                found[m.id[0]] = " / ".join(m.string) if all(m.string) else ""
        return found


def template_text(path: Path) -> list[str]:
    """Return the literal words of a template outside tags, expressions and comments."""
    tokens = JINJA.lex(path.read_text(encoding="utf-8"))
    source = " ".join(value for _line, kind, value in tokens if kind == "data")
    source = re.sub(r"<[^>]*>", " ", source, flags=re.S)
    source = re.sub(r"&[a-z]+;", " ", source)
    return [
        word
        for word in source.split()
        if WORDS.search(word)
        and word not in ALLOWED_WORDS
        and not ATTRIBUTE.match(word)
    ]


def test_every_message_has_a_chinese_translation() -> None:
    missing = [msgid for msgid, text in catalog("zh").items() if not text]
    assert missing == []


def test_every_message_in_the_code_is_in_the_catalogue() -> None:
    method_map = [("web/**.py", "python"), ("web/templates/**.html", "jinja2")]
    found = {
        message if isinstance(message, str) else message[0]
        for _file, _line, message, _comments, _context in extract_from_dir(
            str(ROOT),
            method_map,
            keywords={
                **DEFAULT_KEYWORDS,
                "lazy_gettext": None,
                "lazy_pgettext": ((1, "c"), 2),
            },
        )
    }
    assert sorted(found - catalog("zh").keys()) == []


def test_catalogues_list_the_same_messages() -> None:
    assert catalog("zh").keys() == catalog("en").keys()


@pytest.mark.parametrize(
    "path", sorted(TEMPLATES.rglob("*.html")), ids=lambda p: p.name
)
def test_templates_have_no_hard_coded_text(path: Path) -> None:
    assert template_text(path) == []


def test_compile_catalogs_is_idempotent() -> None:
    compile_catalogs()
    assert compile_catalogs() == []
    assert (TRANSLATIONS / "zh" / "LC_MESSAGES" / "messages.mo").exists()


def test_every_audit_event_type_has_a_label() -> None:
    from engine.audit import AuditType
    from web.templating import EVENT_LABELS

    assert sorted(t.value for t in AuditType if t.value not in EVENT_LABELS) == []
