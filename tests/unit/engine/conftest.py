"""Engine unit tests run against the small models and forms in tests/data."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine import Engine
from engine.records import SYSTEM

DATA = Path(__file__).resolve().parents[2] / "data"


@pytest.fixture
def forms_dir() -> Path:
    return DATA / "forms"


def read(name: str) -> bytes:
    return (DATA / name).read_bytes()


@pytest.fixture
def purchase(engine: Engine) -> Engine:
    """The engine with the two-approver purchase process deployed."""
    engine.deploy({"two_approver.bpmn": read("two_approver.bpmn")}, actor=SYSTEM)
    return engine
