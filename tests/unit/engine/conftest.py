"""Engine unit tests run against the small models and forms in tests/data."""

from __future__ import annotations

from pathlib import Path

import pytest
from modelkit import DATA, read

from engine import Engine
from engine.records import SYSTEM


@pytest.fixture
def forms_dir() -> Path:
    return DATA / "forms"


@pytest.fixture
def purchase(engine: Engine) -> Engine:
    """The engine with the two-approver purchase process deployed."""
    engine.deploy({"two_approver.bpmn": read("two_approver.bpmn")}, actor=SYSTEM)
    return engine
