"""Fault-test fixtures: a Lab that owns every namespace and process a test makes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.faults.arena import Arena, open_arena
from tests.faults.harness import Lab


@pytest.fixture
async def lab(tmp_path: Path) -> AsyncIterator[Lab]:
    lab = Lab(tmp_path)
    try:
        yield lab
    finally:
        await lab.close()


@pytest.fixture
async def arena(lab: Lab) -> AsyncIterator[Arena]:
    """A live server with a calm call beside it (tests/faults/arena.py)."""
    async with open_arena(lab) as built:
        yield built
