"""Load-test fixtures: the fault harness's Lab."""

from tests.faults.conftest import lab

__all__ = ["lab"]
