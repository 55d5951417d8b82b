"""Engine configuration, read once from the environment and failing loudly when wrong."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_VAR_DIR = PROJECT_ROOT / "var"


@dataclass(frozen=True, slots=True)
class EngineConfig:
    """Where the database, the shipped workflows and the forms live."""

    database_url: str
    workflows_dir: Path
    forms_dir: Path | None = None
    var_dir: Path = DEFAULT_VAR_DIR
    script_timeout: float = 2.0

    @classmethod
    def from_mapping(cls, env: Mapping[str, str]) -> EngineConfig:
        var_dir = Path(env.get("SIGNOFF_VAR_DIR", str(DEFAULT_VAR_DIR)))
        url = env.get("SIGNOFF_DATABASE_URL") or f"sqlite:///{var_dir / 'signoff.db'}"
        forms = env.get("SIGNOFF_FORMS_DIR")
        timeout = env.get("SIGNOFF_SCRIPT_TIMEOUT", "2.0")
        try:
            script_timeout = float(timeout)
        except ValueError:
            raise ValueError(f"SIGNOFF_SCRIPT_TIMEOUT must be seconds, got {timeout!r}")
        return cls(
            database_url=url,
            workflows_dir=Path(env.get("SIGNOFF_WORKFLOWS_DIR", PROJECT_ROOT / "workflows")),
            forms_dir=Path(forms) if forms else None,
            var_dir=var_dir,
            script_timeout=script_timeout,
        )

    @classmethod
    def from_env(cls) -> EngineConfig:
        return cls.from_mapping(os.environ)


def secret_key(var_dir: Path, env: Mapping[str, str] = os.environ) -> str:
    """Return SIGNOFF_SECRET_KEY, or a key generated once into ``var/`` (never committed)."""
    if env.get("SIGNOFF_SECRET_KEY"):
        return env["SIGNOFF_SECRET_KEY"]
    path = var_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    var_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    path.write_text(key)
    path.chmod(0o600)
    return key
