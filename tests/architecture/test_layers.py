"""The dependency rule, the transaction rule and the size limits, checked on every run."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("engine", "web", "forms")


def sources(*packages: str) -> list[Path]:
    return [p for pkg in packages for p in sorted((ROOT / pkg).rglob("*.py"))
            if "migrations" not in p.parts]


def test_import_contracts_hold() -> None:
    linter = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(linter)], cwd=ROOT, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr


def test_engine_and_forms_never_import_flask_or_web() -> None:
    pattern = re.compile(r"^\s*(from|import)\s+(flask|werkzeug|web)\b", re.M)
    offenders = [str(p) for p in sources("engine", "forms") if pattern.search(p.read_text())]
    assert offenders == []


def test_transactions_are_opened_only_by_the_engine_base() -> None:
    allowed = {ROOT / "engine" / "_base.py", ROOT / "engine" / "schema.py"}
    pattern = re.compile(r"\.(commit|rollback)\(|sessions\.begin\(|\.begin\(\)")
    offenders = [str(p) for p in sources("engine") if p not in allowed
                 and pattern.search(p.read_text())]
    assert offenders == []


def test_no_module_exceeds_the_hard_size_limit() -> None:
    too_long = {str(p.relative_to(ROOT)): n for p in sources(*PACKAGES)
                if (n := len(p.read_text().splitlines())) > 500}
    assert too_long == {}


def test_every_module_starts_with_future_annotations_and_a_docstring() -> None:
    missing = []
    for path in sources(*PACKAGES):
        text = path.read_text()
        if not text.strip():
            continue
        if not text.lstrip().startswith('"""') or "from __future__ import annotations" not in text:
            missing.append(str(path.relative_to(ROOT)))
    assert missing == []


def test_test_module_names_are_unique_across_folders() -> None:
    # Test folders are not packages, so two test_x.py files would collide on import.
    names = [p.name for p in (ROOT / "tests").rglob("*.py") if p.name != "conftest.py"]
    assert sorted({n for n in names if names.count(n) > 1}) == []
