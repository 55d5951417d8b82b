"""Language choice: the session's language, else the browser's, else Chinese.

Task and process names come in both languages from the engine's records; this module
only decides which one the current request shows, and compiles the message catalogues.
"""

from __future__ import annotations

import logging
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask, request, session
from flask_babel import Babel, get_locale

from web.config import LANGUAGES

logger = logging.getLogger(__name__)
TRANSLATIONS = Path(__file__).resolve().parent / "translations"


def init_app(app: Flask) -> None:
    """Configure Flask-Babel with our locale selector; give templates ``lang``."""
    Babel(app, locale_selector=select_locale)
    app.context_processor(lambda: {"lang": current_language(), "languages": LANGUAGES})
    missing = [lang for lang in LANGUAGES if not mo_path(lang).exists()]
    if missing:
        logger.warning(
            "no compiled catalogue for %s: run `pybabel compile -d web/translations`",
            ", ".join(missing),
        )


def select_locale() -> str:
    """Return the language code for this request."""
    chosen = session.get("lang")
    if chosen in LANGUAGES:
        return str(chosen)
    best = request.accept_languages.best_match(LANGUAGES)
    return best or LANGUAGES[0]


def current_language() -> str:
    """Return "zh" or "en" for the current request."""
    locale = get_locale()
    return locale.language if locale is not None else LANGUAGES[0]


def mo_path(lang: str, directory: Path = TRANSLATIONS) -> Path:
    """Return where the compiled catalogue of ``lang`` lives."""
    return directory / lang / "LC_MESSAGES" / "messages.mo"


def compile_catalogs(directory: Path = TRANSLATIONS) -> list[Path]:
    """Compile each messages.po newer than its .mo (like `pybabel compile`)."""
    written = []
    for po_file in sorted(directory.glob("*/LC_MESSAGES/messages.po")):
        mo_file = po_file.with_suffix(".mo")
        if mo_file.exists() and mo_file.stat().st_mtime >= po_file.stat().st_mtime:
            continue
        with po_file.open("rb") as source:
            catalog = read_po(source)
        with mo_file.open("wb") as target:
            write_mo(target, catalog)
        written.append(mo_file)
    return written
