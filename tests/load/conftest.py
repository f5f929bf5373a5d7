"""Load-test fixtures: the fault harness's Lab, and the ``long`` selection."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.faults.harness import Lab
from tests.faults.selection import deselect_long, register

HERE = Path(__file__).resolve().parent


def pytest_configure(config: pytest.Config) -> None:
    register(config)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    deselect_long(config, items, HERE)


@pytest.fixture
async def lab(tmp_path: Path) -> AsyncIterator[Lab]:
    lab = Lab(tmp_path)
    try:
        yield lab
    finally:
        await lab.close()
