"""Fixtures for SDK tests: a real call server on loopback."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from parley.server import CallServer, ServerConfig


@pytest.fixture
def server_config(tmp_path: Path) -> ServerConfig:
    return ServerConfig(port=0, state_dir=tmp_path / "state", departure_timeout=5.0)


@pytest.fixture
async def server(server_config: ServerConfig) -> AsyncIterator[CallServer]:
    srv = CallServer(server_config)
    await srv.start()
    yield srv
    if srv.running:
        await srv.stop()
